/** Plain-text accounts of runs, for `simulate` and the demo. */

import type { Incident } from '../tasks/shared/contracts.js';
import { exposureSummary } from '../tasks/shared/describe.js';
import type { SimulationRun } from './simulate.js';

function eventLine(event: unknown): string {
  const detail = (
    event as {
      detail?: {
        eventName?: string;
        eventID?: string;
        requestParameters?: { bucketName?: string; key?: string };
      };
    }
  )?.detail;
  const target = [detail?.requestParameters?.bucketName, detail?.requestParameters?.key]
    .filter(Boolean)
    .join('/');
  return `${detail?.eventName ?? 'event'}${target ? ` on ${target}` : ''} (${detail?.eventID?.slice(0, 8) ?? 'no eventID'})`;
}

/** An incident in one line. */
export function describeIncident(incident: Incident): string {
  const closed = incident.closedReason ? ` ${incident.closedReason}` : '';
  return `  ${incident.incidentId}  ${incident.bucket}  ${incident.status}${closed}  ${incident.response}  ${exposureSummary(incident.verdict)}  (${incident.events.length} events)`;
}

/** What each execution did, then the messages that went out. */
export function describeRun(run: SimulationRun, events: readonly unknown[]): string {
  const lines: string[] = [];
  run.result.executions.forEach((execution, index) => {
    lines.push(`Event ${index + 1}: ${eventLine(events[index])}`);
    lines.push(`  applied:  ${run.applied[index] ?? ''}`);
    lines.push(`  path:     ${execution.path.join(' -> ')}`);
    lines.push(`  status:   ${execution.status}`);
    const error = run.records[index]?.error;
    if (error) lines.push(`  error:    ${error.Error}`);
    const { incident, finding } = execution;
    if (incident)
      lines.push(
        `  incident: ${incident.incidentId} ${incident.status} ${incident.response}: ${exposureSummary(incident.verdict)}`,
      );
    if (finding)
      lines.push(
        `  finding:  ${finding.Workflow?.Status ?? '?'} ${finding.RecordState ?? ''} ${finding.Severity?.Label ?? ''}`,
      );
  });
  lines.push('', `Outbox (${run.result.outbox.length}):`);
  for (const message of run.result.outbox) {
    lines.push(
      `  ${message.channel} to ${message.to}: ${message.subject}${message.file ? `\n    ${message.file}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
