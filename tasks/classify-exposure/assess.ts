/**
 * What a fresh verdict means for the bucket's incident: a new or wider exposure to report, the
 * same exposure again, or the end of it. Pure: the handler reads and writes the store.
 */
import { randomUUID } from 'node:crypto';
import { chooseMode } from '../shared/config.js';
import type {
  Assessment,
  ExposureVerdict,
  Incident,
  IncidentEvent,
  ResponderConfig,
} from '../shared/contracts.js';
import { exposureSummary } from '../shared/describe.js';
import type { Coverage } from '../shared/exceptions.js';

export interface AssessInput {
  readonly verdict: ExposureVerdict;
  readonly open: Incident | null;
  readonly latest: Incident | null;
  readonly events: readonly IncidentEvent[];
  readonly keyCount: number;
  readonly bucket: string;
  readonly accountId: string;
  readonly region: string;
  readonly executionId: string;
  readonly config: ResponderConfig;
  readonly now: Date;
  /** Whether an exception covers the exposure (and which entries were malformed). */
  readonly coverage: Coverage;
  /** When earlier incidents of this bucket were remediated: recurrence escalates. */
  readonly remediatedAt: readonly string[];
}

export interface AssessOutput {
  readonly assessment: Assessment;
  /** The incident to write, or null when there is none (not public, and nothing was open). */
  readonly incident: Incident | null;
}

/** Unknowns that leave the exposure not fully assessed (a deleted object is not one). */
export function couldNotFullyAssess(verdict: ExposureVerdict): boolean {
  return verdict.unknown.some((u) => u.kind !== 'gone');
}

/**
 * Whether part of the bucket could not be read. The responder never acts, nor calls a fix
 * verified, on a partial read. AWS and our reading disagreeing on the policy (`policyStatus`) is
 * not one: everything was read, and AWS's word decides, so the fix (Block Public Access, when no
 * statement can be named) may go ahead and be verified.
 */
export function hasUnreadParts(verdict: ExposureVerdict): boolean {
  return verdict.unknown.some((u) => u.kind === 'unread' || u.kind === 'undecided');
}

/**
 * Adds events not yet recorded. Deliveries arrive out of order, so one that joins late may be
 * the earliest call: the exposure's start (`eventTime`) is the earliest event recorded.
 */
function withEvents(incident: Incident, events: readonly IncidentEvent[]): Incident {
  const known = new Set(incident.events.map((e) => e.eventID));
  const added = events.filter((e) => !known.has(e.eventID));
  const eventTime = [incident.timings.eventTime, ...added.map((e) => e.time)].sort()[0];
  return {
    ...incident,
    events: [...incident.events, ...added],
    timings: { ...incident.timings, eventTime: eventTime ?? incident.timings.eventTime },
  };
}

function eventList(events: readonly IncidentEvent[]): string {
  return events.map((e) => `${e.eventName} (${e.eventID})`).join(', ') || 'no new event';
}

/**
 * The response mode and why. An exposure that came back `recurrence.count` times within
 * `recurrence.periodHours` after remediation escalates to notify instead of flapping.
 */
export function modeFor(input: AssessInput): {
  mode: Incident['mode'];
  reason: string;
  escalation: string | null;
} {
  const { config, bucket, verdict, now } = input;
  const since = now.getTime() - config.recurrence.periodHours * 3_600_000;
  const recent = input.remediatedAt.filter((at) => Date.parse(at) >= since).length;
  if (recent >= config.recurrence.count) {
    const why = `the exposure came back after ${recent} remediations within ${config.recurrence.periodHours} h (something re-applies it, such as infrastructure as code): escalated to notify instead of undoing it again`;
    return { mode: 'notify', reason: why, escalation: why };
  }
  const chosen = chooseMode(config, bucket, verdict.severity);
  return { mode: chosen.mode, reason: chosen.reason, escalation: null };
}

function newIncident(input: AssessInput, summary: string): Incident {
  const { now, bucket, verdict } = input;
  const chosen = modeFor(input);
  const at = now.toISOString();
  const eventTimes = input.events.map((e) => e.time).sort();
  const previous = input.latest?.status === 'CLOSED' ? input.latest.incidentId : null;
  return {
    incidentId: `inc-${at.slice(0, 10).replaceAll('-', '')}-${randomUUID().slice(0, 8)}`,
    bucket,
    accountId: input.accountId,
    region: input.region,
    status: 'OPEN',
    closedReason: null,
    response: 'PENDING',
    events: [...input.events],
    verdict,
    mode: chosen.mode,
    modeReason: chosen.reason,
    escalation: chosen.escalation,
    proposal: null,
    macie: null,
    decision: null,
    remediation: null,
    findingId: null,
    timings: { eventTime: eventTimes[0] ?? at, detectedAt: at, notifiedAt: null, containedAt: null },
    previousIncidentId: previous,
    executionId: input.executionId,
    history: [
      {
        at,
        what: `opened: ${summary}${previous ? `; follows incident ${previous}` : ''} (events: ${eventList(input.events)})`,
      },
    ],
    version: 0,
  };
}

function malformedNotes(input: AssessInput): string[] {
  return input.coverage.malformed.map(
    (m) => `exception entry ${m.id ?? `#${m.index}`} is malformed and not honoured: ${m.problem}`,
  );
}

function withNotes(incident: Incident, at: string, notes: readonly string[]): Incident {
  return { ...incident, history: [...incident.history, ...notes.map((what) => ({ at, what }))] };
}

/** Decides what the verdict means for the incident, and the incident record to write. */
export function assess(input: AssessInput): AssessOutput {
  const { verdict, open, events, now, coverage } = input;
  const at = now.toISOString();
  const summary = exposureSummary(verdict);
  const exposed = verdict.effectivelyPublic;
  const partial = !exposed && couldNotFullyAssess(verdict);
  const notes = malformedNotes(input);
  const base = {
    severity: verdict.severity,
    fingerprint: verdict.fingerprint,
    summary,
    vectorCount: verdict.vectors.length,
    keyCount: input.keyCount,
    exceptionId: null,
  };

  if (!exposed && !partial) {
    const incident = open
      ? withNotes(withEvents(open, events), at, [...notes, `found not public (${eventList(events)})`])
      : null;
    const mode = open?.mode ?? 'notify';
    return {
      assessment: { ...base, outcome: 'notPublic', incidentId: open?.incidentId ?? null, mode },
      incident,
    };
  }
  const covering = exposed ? coverage.covering : null;
  // An exposure excepted before is answered again once its exception no longer covers it.
  const stillAnswered = open?.response !== 'EXCEPTED' || covering !== null;
  // Never answered: an earlier attempt of this task wrote the incident and failed before the
  // alert (PENDING), or the response failed (FAILED). Either way the SOC has not been told. An
  // approval that expired was never decided: the next event asks again.
  const unanswered =
    open?.response === 'PENDING' || open?.response === 'FAILED' || open?.response === 'EXPIRED';
  const sameExposure = open?.verdict.fingerprint === verdict.fingerprint;
  if (open && sameExposure && stillAnswered && !unanswered) {
    const incident = withNotes({ ...withEvents(open, events), verdict, executionId: input.executionId }, at, [
      ...notes,
      `same exposure again, recorded without a new alert (${eventList(events)})`,
    ]);
    return {
      assessment: { ...base, outcome: 'alreadyReported', incidentId: open.incidentId, mode: open.mode },
      incident,
    };
  }
  const outcome = covering ? 'excepted' : exposed ? 'public' : 'partial';
  const what = covering
    ? coverage.why
    : open && sameExposure && unanswered
      ? `not answered yet (response ${open.response}): answering again`
      : open
        ? `exposure changed: ${summary}`
        : null;
  let incident: Incident;
  if (open) {
    incident = { ...withEvents(open, events), verdict, response: 'PENDING', executionId: input.executionId };
    if (open.response === 'EXCEPTED' && !covering)
      notes.push(`no longer covered by an exception: ${coverage.why}`);
  } else {
    incident = newIncident(input, summary);
  }
  if (covering) incident = { ...incident, response: 'EXCEPTED' };
  incident = withNotes(incident, at, [...notes, ...(what ? [`${what} (${eventList(events)})`] : [])]);
  return {
    assessment: {
      ...base,
      outcome,
      incidentId: incident.incidentId,
      mode: incident.mode,
      exceptionId: covering?.id ?? null,
    },
    incident,
  };
}
