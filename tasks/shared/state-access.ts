import type { Trigger } from '../normalize-event/parse-event.js';
import { InvalidInputError } from './errors.js';
import { parseOrThrow } from './validation.js';
import { type WorkflowState, WorkflowStateSchema } from './workflow-state.js';

/** Parses a task's input as the workflow state, naming the task when it is malformed. */
export function readState(input: unknown, task: string): WorkflowState {
  return parseOrThrow(WorkflowStateSchema, input, `${task} input`);
}

/** The trigger of a bucket-level task, which cannot run without a bucket. */
export function bucketTrigger(state: WorkflowState, task: string): Trigger & { bucket: string } {
  const trigger = state.trigger;
  if (!trigger?.bucket) throw new InvalidInputError(`${task} input: trigger.bucket is missing`);
  return { ...trigger, bucket: trigger.bucket };
}
