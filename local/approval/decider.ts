/**
 * Who answers an approval request in a local run: `approve` and `reject` open the emailed link and
 * submit the form over HTTP, as a person would; `expire` ends the wait as its deadline would;
 * `manual` leaves it to a person, saying where the page and the message are (never the link
 * itself: the signed link is in the .eml only).
 */
import { z } from 'zod';
import type { LocalEnvironment } from '../environment.js';
import { approvalLinksIn, decideByLink } from './decide.js';

export const DECISIONS = ['approve', 'reject', 'expire', 'manual'] as const;
export type Decision = (typeof DECISIONS)[number];

/** What the waiting request is about, from the Payload its function got. */
const WaitingPayloadSchema = z.object({
  state: z.object({
    assessment: z.object({ incidentId: z.string().nullable() }).optional(),
    trigger: z.object({ bucket: z.string().nullable() }).nullable().optional(),
  }),
});

function aboutOf(payload: unknown): { incidentId: string | null; bucket: string | null } {
  const parsed = WaitingPayloadSchema.safeParse(payload);
  return {
    incidentId: parsed.success ? (parsed.data.state.assessment?.incidentId ?? null) : null,
    bucket: parsed.success ? (parsed.data.state.trigger?.bucket ?? null) : null,
  };
}

/** The newest one-time code sent to `recipient`, read from the outbox as the approver reads it. */
function oneTimeCodeFor(environment: LocalEnvironment, recipient: string): string | null {
  const message = [...environment.sandbox.outbox]
    .reverse()
    .find((m) => m.to.toLowerCase().includes(recipient.toLowerCase()) && /one-time code/i.test(m.subject));
  return message ? (/Your one-time code: (\d{6})/.exec(message.text)?.[1] ?? null) : null;
}

/** Makes `decision` the answer to every approval request of the environment's runs. */
export function decideApprovals(
  environment: LocalEnvironment,
  decision: Decision,
  options: { readonly reason?: string; readonly say?: (line: string) => void } = {},
): void {
  environment.taskTokens.onWait(({ token, payload }) => {
    if (decision === 'expire') {
      environment.taskTokens.expire(token);
      return;
    }
    const { incidentId, bucket } = aboutOf(payload);
    const message = [...environment.sandbox.outbox]
      .reverse()
      .find(
        (m) =>
          approvalLinksIn(m.text).length > 0 && (!incidentId || m.text.includes(`Incident ${incidentId}`)),
      );
    if (decision === 'manual') {
      options.say?.(
        `Waiting for a decision on incident ${incidentId ?? '?'}: the approval page runs at ${environment.approvalServer.origin}; open the link in ${message?.file ?? 'the outbox'}.`,
      );
      return;
    }
    const link = message ? approvalLinksIn(message.text)[0] : undefined;
    if (!link) {
      options.say?.(
        `No approval link was sent for incident ${incidentId ?? '?'}: letting the request expire.`,
      );
      environment.taskTokens.expire(token);
      return;
    }
    // A high-risk bucket asks for its name and the one-time code from the approver's other email.
    const code = oneTimeCodeFor(environment, new URL(link).searchParams.get('r') ?? '');
    void decideByLink(link, {
      decision: decision === 'approve' ? 'APPROVED' : 'REJECTED',
      reason: options.reason ?? `simulate --decision ${decision}`,
      ...(bucket ? { confirmBucket: bucket } : {}),
      ...(code ? { code } : {}),
    }).catch((error: unknown) => {
      options.say?.(
        `Could not decide through the page (${error instanceof Error ? error.message : String(error)}): letting it expire.`,
      );
      environment.taskTokens.expire(token);
    });
  });
}
