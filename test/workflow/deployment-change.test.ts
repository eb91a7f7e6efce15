/**
 * An approval may wait for days, and a deployment may change the functions' code meanwhile. In
 * AWS a running execution keeps the definition it started with, while each Lambda task runs the
 * newest code. So what was written before the deployment must work after it:
 *
 * - the definition of v1 (a frozen copy of the ASL, `fixtures/deployments/v1/`) runs with
 *   today's handlers, through the approval to its end;
 * - the state an execution of v1 carried into its wait, and the store items v1 wrote (incident,
 *   approval record, token, lease), are read and acted on by today's handlers after the wait.
 *
 * The fixtures were captured from a real run of v1; a change that breaks them breaks this test.
 * A version that must change a contract adds a v2 folder and keeps v1 passing.
 */
import { readFileSync } from 'node:fs';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decideByLink } from '../../local/approval/decide.js';
import { defaultConfig } from '../../local/defaults.js';
import { LocalEnvironment } from '../../local/environment.js';
import { TASK_HANDLERS } from '../../local/handlers.js';
import type { World } from '../../local/sandbox/world.js';
import { outcomeOf } from '../../tasks/approval-page/deps.js';
import { FixedClock } from '../../tasks/shared/clock.js';
import { type WorkflowState, WorkflowStateSchema } from '../../tasks/shared/contracts.js';
import { DEFAULT_TABLE_NAME } from '../../tasks/shared/store/table.js';
import { startUntilApprovalWaits, tempStateDir, world } from './support.js';

const V1 = new URL('../fixtures/deployments/v1/', import.meta.url);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, V1), 'utf8'));
const V1_ASL = new URL('exposure-response.asl.json', V1).pathname;
const V1_EVENT = fixture('event.json');
const V1_WAIT_STATE = fixture('wait-input.json') as WorkflowState;
const V1_ITEMS = fixture('store-items.json') as Record<string, unknown>[];
const BUCKET = 'acme-public-assets';

const APPROVE_CONFIG = {
  ...defaultConfig(),
  modes: { default: 'approve' as const, bySeverity: {}, byBucket: {} },
};

async function environmentOn(
  options: { aslFile?: string; clock?: FixedClock; world?: World } = {},
): Promise<LocalEnvironment> {
  const environment = await LocalEnvironment.open({
    stateDir: await tempStateDir(),
    world: world(),
    config: APPROVE_CONFIG,
    ...options,
  });
  onTestFinished(async () => {
    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    await environment.runner.idle();
    await environment.close();
  });
  return environment;
}

describe('the v1 definition with today’s handlers', () => {
  it.each([
    ['APPROVED', 'RemediateExposure', { status: 'CLOSED', closedReason: 'REMEDIATED' }],
    ['REJECTED', 'RecordRejection', { status: 'OPEN', response: 'REJECTED' }],
  ] as const)(
    'a decision %s after the wait takes its branch to the end',
    async (decision, branch, incident) => {
      const environment = await environmentOn({ aslFile: V1_ASL });
      const { execution, link } = await startUntilApprovalWaits(environment, V1_EVENT);
      expect((await decideByLink(link, { decision, reason: 'deployment test' })).status).toBe(303);
      const record = await execution;
      expect(record.status).toBe('SUCCEEDED');
      expect(record.path).toContain(branch);
      const stored = await environment.store.getIncident(
        (record.output as { assessment: { incidentId: string } }).assessment.incidentId,
      );
      expect(stored).toMatchObject(incident);
    },
  );
});

describe('what v1 wrote before the wait, read by today’s handlers after it', () => {
  /** When v1 asked: the approval record's requestedAt. */
  const requestedAt = (() => {
    const record = V1_ITEMS.find((i) => (i.sk as { S: string }).S === 'RECORD') as {
      record: { M: { requestedAt: { S: string } } };
    };
    return Date.parse(record.record.M.requestedAt.S);
  })();

  /** An hour into the wait, by the clock of the fixture (its deadline is a day after it asked). */
  const clock = new FixedClock(new Date(requestedAt + 3_600_000));

  async function v1Store(): Promise<LocalEnvironment> {
    // The account as v1 left it: the bucket public, the finding written and NOTIFIED.
    const environment = await environmentOn({ clock, world: fixture('world.json') as World });
    for (const item of V1_ITEMS) {
      await environment.dynamo.client.send(
        new PutItemCommand({ TableName: DEFAULT_TABLE_NAME, Item: item as never }),
      );
    }
    return environment;
  }

  it('the waiting state still parses, keeping every field v1 wrote (later versions may add defaults)', () => {
    const parsed = WorkflowStateSchema.parse(structuredClone(V1_WAIT_STATE));
    expect(JSON.parse(JSON.stringify(parsed))).toMatchObject(V1_WAIT_STATE);
  });

  it('APPROVED on the v1 approval record remediates exactly its plan', async () => {
    const environment = await v1Store();
    const approvals = environment.deps.approvals;
    const approvalId = await approvals?.findRequest(
      V1_WAIT_STATE.assessment?.incidentId ?? '',
      V1_WAIT_STATE.executionId,
      V1_WAIT_STATE.round ?? 0,
    );
    expect(approvalId).toMatch(/^[0-9a-f]{32}$/);
    const now = clock.now();
    const decided = await approvals?.decide(
      approvalId ?? '',
      {
        decision: 'APPROVED',
        approver: 'security-lead@example.com',
        by: 'person',
        at: now.toISOString(),
        sourceIp: '127.0.0.1',
        userAgent: null,
        reason: null,
        intendedUntil: null,
      },
      now,
    );
    expect(decided?.outcome).toBe('decided');
    const record = await approvals?.get(approvalId ?? '');
    const state = { ...V1_WAIT_STATE, approval: outcomeOf(record as never) };

    const after = (await TASK_HANDLERS.RemediateExposure?.(
      state,
      environment.deps as never,
    )) as WorkflowState;
    expect(after.remediation).toBeDefined();
    expect(environment.sandbox.world.buckets[BUCKET]?.policy ?? null).toBeNull();
  });

  it('an expiry of the v1 wait ends EXPIRED and tells everyone, changing nothing', async () => {
    const environment = await v1Store();
    const policyBefore = structuredClone(environment.sandbox.world.buckets[BUCKET]?.policy);
    const after = (await TASK_HANDLERS.ApprovalExpired?.(
      V1_WAIT_STATE,
      environment.deps as never,
    )) as WorkflowState;
    expect(after.notifyError).toBeUndefined();
    const incident = await environment.store.getIncident(V1_WAIT_STATE.assessment?.incidentId ?? '');
    expect(incident?.response).toBe('EXPIRED');
    expect(environment.sandbox.world.buckets[BUCKET]?.policy).toEqual(policyBefore);
    expect(environment.sandbox.outbox.some((m) => m.subject.startsWith('Approval expired'))).toBe(true);
  });
});
