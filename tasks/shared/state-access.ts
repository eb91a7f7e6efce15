import type { Trigger } from '../normalize-event/parse-event.js';
import type { Incident } from './contracts.js';
import { InvalidInputError } from './errors.js';
import type { IncidentStore } from './incident-store.js';
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

/** The incident a task works on; the workflow only routes here once one exists. */
export async function requireIncident(
  store: IncidentStore,
  incidentId: string | null | undefined,
  task: string,
): Promise<Incident> {
  const incident = incidentId ? await store.getIncident(incidentId) : null;
  if (!incident)
    throw new InvalidInputError(`${task} input: incident ${incidentId ?? '(none)'} does not exist`);
  return incident;
}

/** Appends a line to an incident's history. */
export function withHistory(incident: Incident, at: Date, what: string): Incident {
  return { ...incident, history: [...incident.history, { at: at.toISOString(), what }] };
}
