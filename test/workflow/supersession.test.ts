/**
 * An exposure that widens while its owner waits on an approval: the joining event supersedes the
 * pending request (its page says so), the owner alerts on the wider exposure and asks once for
 * the whole current plan; the approver's decision on the new request is what gets applied.
 */
import { describe, expect, it } from 'vitest';
import { decideByLink, latestApprovalLink } from '../../local/approval/decide.js';
import { defaultConfig } from '../../local/defaults.js';
import { LocalEnvironment } from '../../local/environment.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import { sampleEvent, tempStateDir, world } from './support.js';

const BUCKET = 'acme-public-assets';

/** Resolves when the next approval request waits (its email sent). */
function nextWait(environment: LocalEnvironment): Promise<void> {
  return new Promise((resolve) => environment.taskTokens.onWait(() => resolve()));
}

describe('an exposure that widens during the wait', () => {
  it('supersedes the pending approval, alerts at once, and asks again for the whole plan', async () => {
    const config = {
      ...defaultConfig(),
      modes: { default: 'approve' as const, bySeverity: {}, byBucket: {} },
    };
    const environment = await LocalEnvironment.open({
      stateDir: await tempStateDir(),
      world: world(),
      config,
    });
    try {
      const readPolicy = sampleEvent('put-bucket-policy-public');
      applyEventToWorld(environment.sandbox, readPolicy);
      const firstWait = nextWait(environment);
      const owner = environment.runner.start(readPolicy);
      await firstWait;
      const firstLink = latestApprovalLink(environment.sandbox.outbox);

      // During the wait, the bucket ACL gives the world write access as well.
      const writeAcl = JSON.parse(
        JSON.stringify(sampleEvent('put-bucket-acl-body')).replace(
          '"Permission":"READ"',
          '"Permission":"WRITE"',
        ),
      );
      applyEventToWorld(environment.sandbox, writeAcl);
      const secondWait = nextWait(environment);
      const joiner = await environment.runner.start(writeAcl);
      await secondWait;

      expect(joiner.path).toEqual(expect.arrayContaining(['RegisterIncident', 'SupersedeApproval']));
      expect(joiner.status).toBe('SUCCEEDED');
      const secondLink = latestApprovalLink(environment.sandbox.outbox);
      expect(secondLink).not.toBe(firstLink);
      // The old link shows the request as superseded and decides nothing.
      // The old link shows the request as superseded, and decides nothing.
      const oldPage = await (await fetch(firstLink ?? '')).text();
      expect(oldPage).toMatch(/superseded/i);
      const stale = await decideByLink(firstLink ?? '', { decision: 'APPROVED' });
      expect([403, 409]).toContain(stale.status);

      const decided = await decideByLink(secondLink ?? '', { decision: 'APPROVED' });
      expect(decided.status).toBe(303);
      const record = await owner;
      expect(record.status).toBe('SUCCEEDED');
      expect(record.path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
      const [incident] = (await environment.store.listIncidents()).filter((i) => i.bucket === BUCKET);
      expect(incident).toMatchObject({ status: 'CLOSED', closedReason: 'REMEDIATED' });
      // Alerted on the wider exposure before the decision, not after it.
      const subjects = environment.sandbox.outbox.map((m) => m.subject);
      expect(subjects.filter((s) => s.includes('read and write')).length).toBeGreaterThan(0);
    } finally {
      // A failed expectation must not leave the owner waiting a day.
      for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
      await environment.runner.idle();
      await environment.close();
    }
  });

  it('leaves the pending approval alone when a joining event adds nothing new: 5 states', async () => {
    const config = {
      ...defaultConfig(),
      modes: { default: 'approve' as const, bySeverity: {}, byBucket: {} },
    };
    const environment = await LocalEnvironment.open({
      stateDir: await tempStateDir(),
      world: world(),
      config,
    });
    try {
      const readPolicy = sampleEvent('put-bucket-policy-public');
      applyEventToWorld(environment.sandbox, readPolicy);
      const firstWait = nextWait(environment);
      const owner = environment.runner.start(readPolicy);
      await firstWait;

      const again = sampleEvent('put-bucket-policy-public');
      applyEventToWorld(environment.sandbox, again);
      const joiner = await environment.runner.start(again);

      expect(joiner.path).toEqual([
        'NormalizeEvent',
        'IsEventActionable?',
        'RegisterIncident',
        'DoesThisExecutionOwnTheBucket?',
        'JoinedOpenIncident',
      ]);
      expect(environment.taskTokens.waiting()).toHaveLength(1);
      const decided = await decideByLink(latestApprovalLink(environment.sandbox.outbox) ?? '', {
        decision: 'REJECTED',
      });
      expect(decided.status).toBe(303);
      const record = await owner;
      // The joined event is answered after the decision: the same exposure, recorded without a new alert.
      expect(record.path.filter((s) => s === 'RequestApproval')).toHaveLength(1);
      expect(record.path.filter((s) => s === 'ClassifyExposure')).toHaveLength(2);
    } finally {
      for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
      await environment.runner.idle();
      await environment.close();
    }
  });
});
