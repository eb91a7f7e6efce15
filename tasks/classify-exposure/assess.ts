/**
 * What a fresh verdict means for the bucket's incident: a new or wider exposure to report, the
 * same exposure again, or the end of it. Pure: the handler reads and writes the store.
 */
import { randomUUID } from 'node:crypto';
import { chooseMode, type ResponderConfig } from '../shared/config.js';
import type { ExposureVerdict, Incident, IncidentEvent } from '../shared/contracts.js';
import { exposureSummary } from '../shared/describe.js';
import type { Assessment } from '../shared/workflow-state.js';

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
}

export interface AssessOutput {
  readonly assessment: Assessment;
  /** The incident to write, or null when there is none (not public, and nothing was open). */
  readonly incident: Incident | null;
}

/** Unknowns that leave the exposure not fully assessed (a deleted object is not one). */
export function couldNotFullyAssess(verdict: ExposureVerdict): boolean {
  return verdict.unknown.some((u) => !u.why.startsWith('NoSuchKey'));
}

function withEvents(incident: Incident, events: readonly IncidentEvent[]): Incident {
  const known = new Set(incident.events.map((e) => e.eventID));
  return { ...incident, events: [...incident.events, ...events.filter((e) => !known.has(e.eventID))] };
}

function eventList(events: readonly IncidentEvent[]): string {
  return events.map((e) => `${e.eventName} (${e.eventID})`).join(', ') || 'no new event';
}

function newIncident(input: AssessInput, summary: string): Incident {
  const { verdict, config, bucket, now } = input;
  const chosen = chooseMode(config, bucket, verdict.severity);
  const modeReason =
    chosen.mode === 'notify'
      ? chosen.reason
      : `${chosen.reason}; ${chosen.mode === 'approve' ? 'approval requests' : 'automatic remediation'} are not available in this version yet, so the responder notifies only and changes nothing`;
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
    modeReason,
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
  };
}

/** Decides what the verdict means for the incident, and the incident record to write. */
export function assess(input: AssessInput): AssessOutput {
  const { verdict, open, events, now } = input;
  const at = now.toISOString();
  const summary = exposureSummary(verdict);
  const exposed = verdict.effectivelyPublic;
  const partial = !exposed && couldNotFullyAssess(verdict);
  const base = {
    severity: verdict.severity,
    fingerprint: verdict.fingerprint,
    summary,
    vectorCount: verdict.vectors.length,
    keyCount: input.keyCount,
  };

  if (!exposed && !partial) {
    const incident = open
      ? {
          ...withEvents(open, events),
          history: [...open.history, { at, what: `found not public (${eventList(events)})` }],
        }
      : null;
    return { assessment: { ...base, outcome: 'notPublic', incidentId: open?.incidentId ?? null }, incident };
  }
  if (open && open.verdict.fingerprint === verdict.fingerprint) {
    const incident = {
      ...withEvents(open, events),
      verdict,
      executionId: input.executionId,
      history: [
        ...open.history,
        { at, what: `same exposure again, recorded without a new alert (${eventList(events)})` },
      ],
    };
    return { assessment: { ...base, outcome: 'alreadyReported', incidentId: open.incidentId }, incident };
  }
  const outcome = exposed ? 'public' : 'partial';
  if (open) {
    const incident: Incident = {
      ...withEvents(open, events),
      verdict,
      response: 'PENDING',
      executionId: input.executionId,
      history: [...open.history, { at, what: `exposure changed: ${summary} (${eventList(events)})` }],
    };
    return { assessment: { ...base, outcome, incidentId: open.incidentId }, incident };
  }
  const incident = newIncident(input, summary);
  return { assessment: { ...base, outcome, incidentId: incident.incidentId }, incident };
}
