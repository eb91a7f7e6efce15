/**
 * Mode approve through the real ASL: RequestApproval waits on a task token, the approver decides
 * on the real page over HTTP (GET the emailed link, POST the form), and the state machine takes
 * the branch the decision names. Nothing changes without an approval.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { approvalLinksIn, decideByLink } from '../../local/approval/decide.js';
import { defaultConfig } from '../../local/defaults.js';
import { TaskTokenRegistry } from '../../local/task-tokens.js';
import { requestApproval } from '../../tasks/request-approval/handler.js';
import { redactApprovalSecrets } from '../../tasks/shared/approval/redact.js';
import { AwsTransientError } from '../../tasks/shared/errors.js';
import { logger } from '../../tasks/shared/logger.js';
import { bucketRef } from '../support/store.js';
import {
  approveEnvironment,
  run,
  sampleEvent,
  startUntilApprovalWaits,
  tempStateDir,
  world,
} from './support.js';

const BUCKET = 'acme-public-assets';
const ASK = ['WhichResponseMode?', 'RequestApproval', 'WhatDidTheApproverDecide?'];

function publicPolicy() {
  return sampleEvent('put-bucket-policy-public');
}

function bucketWrites(
  calls: readonly { service: string; operation: string; input: unknown; outcome: string }[],
) {
  return calls.filter(
    (c) =>
      c.service === 's3' &&
      /^(Put|Delete)/.test(c.operation) &&
      c.outcome === 'ok' &&
      (c.input as { Bucket?: string }).Bucket === BUCKET,
  );
}

describe('mode approve', () => {
  it('approved through the page: fixes exactly the approved plan, then closes the incident', async () => {
    const { result, environment } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'approve',
      keepOpen: true,
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toEqual(expect.arrayContaining([...ASK, 'RemediateExposure', 'CloseIncident']));
    expect(execution?.incident).toMatchObject({
      status: 'CLOSED',
      closedReason: 'REMEDIATED',
      decision: { decision: 'APPROVED' },
    });
    // One request to the approver, with one signed link to the local page.
    const requests = result.outbox.filter((m) => m.subject.startsWith('Decision needed'));
    expect(requests).toHaveLength(1);
    expect(approvalLinksIn(requests[0]?.text ?? '')).toEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/a\/[0-9a-f]{32}\?r=.*&exp=\d+&sig=v1\./),
    ]);
    expect(bucketWrites(environment.sandbox.calls).length).toBeGreaterThan(0);
  });

  it('rejected: changes nothing, and the finding is suppressed with the approver', async () => {
    const { result, environment } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'reject',
      keepOpen: true,
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toEqual(expect.arrayContaining([...ASK, 'RecordRejection', 'ReleaseLease']));
    expect(execution?.path).not.toContain('RemediateExposure');
    expect(execution?.incident).toMatchObject({ status: 'OPEN', response: 'REJECTED' });
    expect(execution?.finding?.Workflow?.Status).toBe('SUPPRESSED');
    expect(bucketWrites(environment.sandbox.calls)).toEqual([]);
    expect(result.outbox.some((m) => m.subject.startsWith('Fix rejected'))).toBe(true);
  });

  it('expired: changes nothing, and the approvers and recipients are told', async () => {
    const { result, environment } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'expire',
      keepOpen: true,
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).toEqual(
      expect.arrayContaining(['WhichResponseMode?', 'RequestApproval', 'ApprovalExpired', 'ReleaseLease']),
    );
    expect(execution?.incident).toMatchObject({ status: 'OPEN', response: 'EXPIRED' });
    expect(bucketWrites(environment.sandbox.calls)).toEqual([]);
    expect(result.outbox.some((m) => m.subject.startsWith('Approval expired'))).toBe(true);

    // A late click: the page says it expired, and nothing is decided or changed.
    const link = approvalLinksIn(
      result.outbox.find((m) => m.subject.startsWith('Decision needed'))?.text ?? '',
    )[0];
    const page = await (await fetch(link ?? '')).text();
    expect(page).toMatch(/expired/i);
    const late = await decideByLink(link ?? '', { decision: 'APPROVED' });
    expect(late.status).toBeGreaterThanOrEqual(400);
    const approvalId = new URL(link ?? '').pathname.split('/').at(-1) ?? '';
    expect((await environment.deps.approvals?.get(approvalId))?.status).toBe('EXPIRED');
    expect(bucketWrites(environment.sandbox.calls)).toEqual([]);
  });
});

describe('a retried approval request', () => {
  it('asks once: the retry (a new token) waits on the request already sent', async () => {
    const { result } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'approve',
      harness: { failOnceAfterRun: ['RequestApproval'] },
    });
    const [execution] = result.executions;
    expect(execution?.path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
    expect(result.outbox.filter((m) => m.subject.startsWith('Decision needed'))).toHaveLength(1);
    expect(execution?.incident).toMatchObject({
      closedReason: 'REMEDIATED',
      decision: { decision: 'APPROVED' },
    });
  });
});

describe('an answer that did not come from the page', () => {
  it('a rejection the approval record does not hold suppresses nothing: the run fails loudly', async () => {
    const environment = await approveEnvironment();
    const { execution, link } = await startUntilApprovalWaits(environment, publicPolicy());
    const approvalId = /\/a\/([0-9a-f]{32})/.exec(link)?.[1] ?? '';
    const [wait] = environment.taskTokens.waiting();
    // Someone holding a leaked task token answers the wait directly, without the page.
    environment.taskTokens.succeed(
      wait?.token ?? '',
      JSON.stringify({
        approvalId,
        decision: 'REJECTED',
        approver: 'mallory@example.com',
        by: 'person',
        at: new Date().toISOString(),
        planHash: 'forged',
      }),
    );
    const record = await execution;
    expect(record.path).toEqual(expect.arrayContaining(['RecordRejection', 'ReportFailure']));
    expect(record.status).toBe('FAILED');
    const incident = await environment.store.getLatestIncident(bucketRef(BUCKET));
    expect(incident?.response).toBe('FAILED');
    expect((await environment.deps.approvals?.get(approvalId))?.status).toBe('PENDING');
    const finding = environment.sandbox.world.securityHubFindings.find((f) =>
      f.Resources?.[0]?.Id?.includes(BUCKET),
    );
    expect((finding?.Workflow as { Status?: string } | undefined)?.Status).not.toBe('SUPPRESSED');
    expect(bucketWrites(environment.sandbox.calls)).toEqual([]);
  });
});

describe('a request that fails after it was stored, before any email went out', () => {
  it('is sent by the retry, once, and the decision on it is applied', async () => {
    let first = true;
    const { result } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'approve',
      handlers: {
        RequestApproval: (payload, deps) => {
          if (!first) return requestApproval(payload, deps);
          first = false;
          // The lease renewal after the approval was stored is throttled for good.
          const store = new Proxy(deps.store, {
            get: (target, property) => {
              if (property === 'pendingEvents') {
                return async () => {
                  throw new AwsTransientError(
                    'ProvisionedThroughputExceededException',
                    'throttled',
                    'throttled',
                  );
                };
              }
              const value = Reflect.get(target, property, target);
              return typeof value === 'function' ? value.bind(target) : value;
            },
          });
          return requestApproval(payload, { ...deps, store });
        },
      },
    });
    const [execution] = result.executions;
    expect(execution?.path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
    expect(result.outbox.filter((m) => m.subject.startsWith('Decision needed'))).toHaveLength(1);
    expect(execution?.incident).toMatchObject({
      closedReason: 'REMEDIATED',
      decision: { decision: 'APPROVED' },
    });
  });
});

describe('a high-risk bucket', () => {
  it('sends the one-time code apart from the link, and the page needs both before it decides', async () => {
    const config = {
      ...defaultConfig(),
      approval: { ...defaultConfig().approval, highRiskBuckets: [BUCKET] },
    };
    const stateDir = await tempStateDir();
    const { result } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'approve',
      config,
      stateDir,
    });

    const toApprover = result.outbox.filter((m) => m.to === 'security-lead@example.com');
    expect(toApprover.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^Decision needed/),
      `One-time code for the decision on S3 bucket ${BUCKET}`,
    ]);
    // The code is never in the message with the link.
    const code = /Your one-time code: (\d{6})/.exec(toApprover[1]?.text ?? '')?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect(toApprover[0]?.text).not.toContain(code ?? 'no code');
    // Nor in the call log, the outbox index, or what `simulate --json` prints.
    for (const file of ['calls.jsonl', 'outbox.jsonl']) {
      expect(await readFile(join(stateDir, file), 'utf8')).not.toContain(`code: ${code}`);
    }
    expect(redactApprovalSecrets(JSON.stringify(result))).not.toContain(`code: ${code}`);
    expect(result.executions[0]?.incident).toMatchObject({
      closedReason: 'REMEDIATED',
      decision: { decision: 'APPROVED' },
    });
  });
});

describe('secrets of an approval', () => {
  it('never leave the .eml and the store: no token, signature or key in logs, histories, call log or outputs', async () => {
    const tokens: string[] = [];
    const wait = TaskTokenRegistry.prototype.wait;
    vi.spyOn(TaskTokenRegistry.prototype, 'wait').mockImplementation(function (
      this: TaskTokenRegistry,
      token,
      state,
    ) {
      tokens.push(token);
      return wait.call(this, token, state);
    });
    const printed: string[] = [];
    // Every log record, at every level, as the logger writes it (to stderr outside Lambda).
    const level = logger.getLevelName();
    logger.setLogLevel('DEBUG');
    onTestFinished(() => logger.setLogLevel(level));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    const stateDir = await tempStateDir();
    const { result } = await run([publicPolicy()], { mode: 'approve', decision: 'approve', stateDir });
    vi.restoreAllMocks();

    const [link] = approvalLinksIn(
      result.outbox.find((m) => m.subject.startsWith('Decision needed'))?.text ?? '',
    );
    const signature = new URL(link ?? 'http://x/').searchParams.get('sig') ?? '';
    const keyFile = JSON.parse(await readFile(join(stateDir, 'approval-keys.json'), 'utf8'));
    const secret = Buffer.from(keyFile.current.secret, 'base64');
    const secrets = [
      ...tokens,
      signature.split('.').at(-1) ?? '',
      keyFile.current.secret,
      secret.toString('hex'),
    ];
    expect(tokens).toHaveLength(1);
    // The log was listened to: the request and the decision's delivery are in it.
    expect(printed.join('\n')).toMatch(/approval requested/);
    expect(signature).toMatch(/^v1\./);

    const files = ['calls.jsonl', 'outbox.jsonl', 'world.json', 'incidents.json'];
    const executions = await readdir(join(stateDir, 'executions'));
    const texts = [
      printed.join(''),
      // What `simulate --json` prints.
      redactApprovalSecrets(JSON.stringify(result)),
      ...(await Promise.all(files.map((f) => readFile(join(stateDir, f), 'utf8')))),
      ...(await Promise.all(executions.map((f) => readFile(join(stateDir, 'executions', f), 'utf8')))),
    ];
    for (const secretText of secrets) {
      expect(secretText.length).toBeGreaterThan(20);
      for (const text of texts) expect(text).not.toContain(secretText);
    }
  });
});

/** A call of the Macie scan's execution, which runs beside the response (and its start). */
function isScanCall(call: { service: string; operation: string; input: unknown }): boolean {
  const input = JSON.stringify(call.input);
  return (
    call.service === 'macie2' ||
    call.operation === 'StartExecution' ||
    call.operation === 'GetFindings' ||
    input.includes('UserDefinedFields') ||
    (call.service === 's3' && (input.includes('"MaxKeys":1') || call.operation === 'ListObjectsV2'))
  );
}

describe('the finding in mode approve', () => {
  it('moves to NOTIFIED while the request goes out, not a round trip before it', async () => {
    const environment = await approveEnvironment();
    // A slow Security Hub update: the request must not wait for it.
    environment.sandbox.injectFault({
      service: 'securityhub',
      operation: 'BatchUpdateFindings',
      latencyMs: 400,
      times: 1,
    });
    await startUntilApprovalWaits(environment, publicPolicy());
    const calls = environment.sandbox.calls;
    const update = calls.find((c) => c.operation === 'BatchUpdateFindings');
    const request = calls.find(
      (c) => c.operation === 'SendEmail' && JSON.stringify(c.input).includes('security-lead@example.com'),
    );
    expect(update && request).toBeTruthy();
    expect(Date.parse(request?.at ?? '') - Date.parse(update?.at ?? '')).toBeLessThan(400);
    // Before the request: the bucket's reads, the finding, the alert; nothing else from AWS. (The
    // Macie scan runs beside, as an execution of its own started with the alert.)
    const before = calls
      .slice(0, calls.indexOf(request as never))
      .filter((c) => c !== update && !isScanCall(c));
    expect([...new Set(before.map((c) => c.service))].sort()).toEqual([
      's3',
      's3control',
      'securityhub',
      'ses',
    ]);
    expect(before.filter((c) => c.service === 'securityhub').map((c) => c.operation)).toEqual([
      'BatchImportFindings',
    ]);
    const finding = environment.sandbox.world.securityHubFindings.find((f) =>
      f.Resources?.[0]?.Id?.includes(BUCKET),
    );
    expect((finding?.Workflow as { Status?: string } | undefined)?.Status).toBe('NOTIFIED');
  });

  it('a Security Hub that refuses the update leaves the request standing, and the incident says so', async () => {
    const { result } = await run([publicPolicy()], {
      mode: 'approve',
      decision: 'reject',
      world: world((w) => {
        w.faults.push({
          service: 'securityhub',
          operation: 'BatchUpdateFindings',
          error: 'AccessDeniedException',
          times: 1,
        });
      }),
    });
    const [execution] = result.executions;
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.path).not.toContain('MarkFindingNotified');
    expect(JSON.stringify(execution?.incident)).toContain(
      'finding not moved to NOTIFIED: AccessDeniedException',
    );
    // The settling task writes the finding's last word.
    expect(execution?.finding?.Workflow?.Status).toBe('SUPPRESSED');
  });
});
