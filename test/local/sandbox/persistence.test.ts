import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../../local/sandbox/sandbox-account.js';
import { InvalidInputError } from '../../../tasks/shared/errors.js';
import { testSandbox } from './support.js';

let stateDir: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sandbox-state-'));
});

afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('the state folder', () => {
  it('round-trips the world, the call log and the remaining faults', async () => {
    const sandbox = testSandbox();
    const policy = '{\n  "Version": "2012-10-17",\n  "Statement": []\n}';
    const { s3 } = sandbox.clients();
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'acme-reports', Policy: policy }));
    await s3.send(new PutObjectCommand({ Bucket: 'acme-reports', Key: 'big.bin', Body: new Uint8Array(4) }));
    sandbox.injectFault({ service: 's3', operation: 'GetBucketAcl', error: 'SlowDown', times: 2 });
    await sandbox.save(stateDir);

    const loaded = await SandboxAccount.load(stateDir);
    expect(loaded.toJSON()).toEqual(sandbox.toJSON());
    expect(loaded.calls).toEqual(sandbox.calls);
    expect(loaded.calls[1]?.input).toMatchObject({ Body: '<4 bytes>' });
    expect(loaded.world.faults).toEqual([
      { service: 's3', operation: 'GetBucketAcl', error: 'SlowDown', times: 2 },
    ]);
    const text = await loaded.clients().s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-reports' }));
    expect(text.Policy).toBe(policy);
  });

  it('writes world.json and calls.jsonl', async () => {
    const sandbox = testSandbox();
    await sandbox.clients().s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-reports' }));
    await sandbox.save(stateDir);
    const world = JSON.parse(await readFile(join(stateDir, 'world.json'), 'utf8'));
    expect(world.accountId).toBe('111122223333');
    const lines = (await readFile(join(stateDir, 'calls.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ service: 's3', operation: 'GetBucketPolicy', outcome: 'ok' }),
    ]);
  });

  it('refuses a folder without a world', async () => {
    await expect(SandboxAccount.load(join(stateDir, 'missing'))).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('names world.json when it is not JSON', async () => {
    await testSandbox().save(stateDir);
    await writeFile(join(stateDir, 'world.json'), '{"accountId": ');

    await expect(SandboxAccount.load(stateDir)).rejects.toThrow(
      `${join(stateDir, 'world.json')} is not JSON`,
    );
  });

  it('names world.json and the field when it breaks the world schema', async () => {
    await testSandbox().save(stateDir);
    await writeFile(join(stateDir, 'world.json'), '{"accountId": "12"}');

    await expect(SandboxAccount.load(stateDir)).rejects.toThrow(
      `${join(stateDir, 'world.json')} is not a valid world: accountId:`,
    );
  });

  it('names the call log and the line that is not JSON', async () => {
    const sandbox = testSandbox();
    await sandbox.clients().s3.send(new GetBucketPolicyCommand({ Bucket: 'acme-reports' }));
    await sandbox.save(stateDir);
    await appendFile(join(stateDir, 'calls.jsonl'), 'xx\n');

    const loading = SandboxAccount.load(stateDir);

    await expect(loading).rejects.toBeInstanceOf(InvalidInputError);
    await expect(loading).rejects.toThrow(`${join(stateDir, 'calls.jsonl')} line 2 is not JSON`);
  });

  it('keeps its own copy of the world it starts from', () => {
    const world = { accountId: '111122223333', buckets: { 'acme-reports': {} } };
    const sandbox = SandboxAccount.fromWorld(world);
    delete sandbox.world.buckets['acme-reports'];
    expect(world.buckets['acme-reports']).toEqual({});
  });
});
