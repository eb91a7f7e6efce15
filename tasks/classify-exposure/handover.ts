/**
 * Bounded loops: an execution that has classified its bucket `limits.maxRounds` times (events
 * kept joining, or fixes kept uncovering new ways in) hands the bucket to a fresh execution
 * instead of cycling toward Step Functions' 25,000-event history limit. Nothing is lost: the
 * lease is given up with its waiting events, and the fresh execution (started as the sweep
 * starts one) takes it over at once and classifies again.
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowState } from '../shared/contracts.js';
import { sha256Hex } from '../shared/hash.js';
import type { TaskDeps } from '../shared/task-deps.js';

/** Whether this execution has used up its rounds. */
export function roundsUsedUp(state: WorkflowState): boolean {
  return (state.round ?? 0) >= state.config.limits.maxRounds;
}

/** Gives the bucket up and starts the execution that takes it over; safe to run again. */
export async function handOver(
  deps: TaskDeps,
  state: WorkflowState,
  target: { readonly bucket: string; readonly region: string; readonly accountId: string },
): Promise<WorkflowState> {
  const rounds = state.round ?? 0;
  const id = `handover-${sha256Hex(state.executionId).slice(0, 16)}-${rounds}`;
  await deps.store.abandonLease(target, state.executionId);
  try {
    await deps.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: id,
        input: JSON.stringify({
          sweep: {
            ...target,
            sweepId: id,
            reason: `execution ${state.executionId} reached ${rounds} rounds and handed the bucket over`,
          },
        }),
      }),
    );
  } catch (error) {
    // Started by an earlier try of this task: StartExecution is idempotent by name.
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
  return { ...state, handedOver: { to: id, rounds } };
}
