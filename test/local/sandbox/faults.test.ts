import { GetBucketAclCommand, GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { GetFindingsCommand } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { rejection, testSandbox, testWorld } from './support.js';

describe('injected faults and the SDK own retries', () => {
  it('retries an injected SlowDown: thrown twice, then success, in 3 attempts', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({ service: 's3', operation: 'GetBucketAcl', error: 'SlowDown', times: 2 });
    const out = await sandbox.clients().s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' }));
    expect(out.$metadata.attempts).toBe(3);
    expect(sandbox.calls.map((call) => call.outcome)).toEqual(['SlowDown', 'SlowDown', 'ok']);
    expect(sandbox.world.faults).toEqual([]);
  });

  it('gives up after maxAttempts and reports the attempts on the error', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({ service: 's3', operation: 'GetBucketAcl', error: 'SlowDown', times: 5 });
    const error = await rejection(
      sandbox.clients().s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' })),
    );
    expect(error.name).toBe('SlowDown');
    expect(error.$metadata?.httpStatusCode).toBe(503);
    expect(error.$metadata?.attempts).toBe(3);
    expect(sandbox.world.faults[0]?.times).toBe(2);
  });

  it('retries an injected ThrottlingException on Security Hub', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({
      service: 'securityhub',
      operation: 'GetFindings',
      error: 'ThrottlingException',
      times: 2,
    });
    const out = await sandbox.clients().securityHub.send(new GetFindingsCommand({}));
    expect(out.$metadata.attempts).toBe(3);
    expect(out.Findings).toEqual([]);
  });

  it('retries an injected InternalError (500)', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({ service: 's3', operation: 'GetBucketAcl', error: 'InternalError' });
    const out = await sandbox.clients().s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' }));
    expect(out.$metadata.attempts).toBe(2);
  });

  it('does not retry an injected AccessDenied', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({ service: 's3', operation: 'GetBucketPolicy', error: 'AccessDenied', times: 3 });
    const error = await rejection(
      sandbox.clients().s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-reports' })),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.$metadata?.attempts).toBe(1);
    expect(sandbox.calls).toHaveLength(1);
  });

  it('applies a fault scoped to one bucket only to that bucket', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({
      service: 's3',
      operation: 'GetBucketAcl',
      error: 'AccessDenied',
      bucket: 'acme-logs',
    });
    const { s3 } = sandbox.clients();
    await s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' }));
    const error = await rejection(s3.send(new GetBucketAclCommand({ Bucket: 'acme-logs' })));
    expect(error.name).toBe('AccessDenied');
  });

  it('takes faults from the world file', async () => {
    const sandbox = testSandbox({
      ...testWorld(),
      faults: [{ service: 's3', operation: 'GetBucketAcl', error: 'AccessDenied' }],
    });
    const error = await rejection(
      sandbox.clients().s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' })),
    );
    expect(error.name).toBe('AccessDenied');
  });

  it('adds a fault latency before answering', async () => {
    const sandbox = testSandbox();
    sandbox.injectFault({ service: 's3', operation: 'GetBucketAcl', latencyMs: 40 });
    const started = performance.now();
    await sandbox.clients().s3.send(new GetBucketAclCommand({ Bucket: 'acme-reports' }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('rejects a fault with neither an error nor a latency', () => {
    const sandbox = testSandbox();
    expect(() => sandbox.injectFault({ service: 's3', operation: 'GetBucketAcl' })).toThrow(
      'a fault needs an error, a latencyMs or stale',
    );
  });

  it('rejects a stale fault on a write, or with an error', () => {
    const sandbox = testSandbox();
    expect(() => sandbox.injectFault({ service: 's3', operation: 'PutBucketPolicy', stale: true })).toThrow(
      /a stale fault is a read/,
    );
    expect(() =>
      sandbox.injectFault({ service: 's3', operation: 'GetBucketAcl', stale: true, error: 'AccessDenied' }),
    ).toThrow(/a stale fault is a read/);
  });
});
