import type { Incident, IncidentEvent, Trigger, WorkflowState } from './contracts.js';
import { InvalidInputError } from './errors.js';
import type { IncidentStore } from './incident-store.js';

/** The incident's record of an event: who, when, from where, which keys. */
export function incidentEventOf(trigger: Trigger): IncidentEvent {
  // The policy text can be 20 KB; what it means (`publicPolicy`) is enough for a witness.
  const { policyText: _text, ...requested } = trigger.requested;
  return {
    eventID: trigger.eventID,
    eventName: trigger.eventName,
    actor: trigger.actor.arn ?? trigger.actor.principalId,
    sourceIp: trigger.sourceIp,
    time: trigger.eventTime,
    keys: trigger.keys,
    requested,
  };
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
