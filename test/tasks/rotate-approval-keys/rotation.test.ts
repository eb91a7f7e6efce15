/**
 * The key ring's rotation, step by step, against a small stateful stand-in for Secrets Manager
 * (versions, their values and staging labels, behind aws-sdk-client-mock): Secrets Manager
 * stages an empty AWSPENDING version under the token, then calls each step, and retries a step
 * that failed; so every step is also run twice here.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KEY_ROTATION_CALLS } from '../../../infra/constructs/responder-secrets.js';
import { recordSentCall } from '../../../local/call-ledger.js';
import { type RotationStep, rotateKeyRing } from '../../../tasks/rotate-approval-keys/rotation.js';
import {
  type KeyRing,
  parseKeyRing,
  serializeKeyRing,
  signApprovalLink,
  verifyApprovalLink,
} from '../../../tasks/shared/approval/links.js';
import { InvalidInputError } from '../../../tasks/shared/errors.js';
import { logger } from '../../../tasks/shared/logger.js';
import { linkPartsOf } from '../../support/approval-links.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ApprovalKeys-AbCdEf';
const TOKEN = '11111111-2222-4333-8444-555555555555';
const NOW = new Date('2026-03-01T09:30:00.000Z');
/** The name the deployed function has in `ResponderStack.functions`, for the call ledger. */
const FUNCTION_NAME = 'RotateApprovalKeys';

/** A ring as the stack output ApprovalKeysSetup writes it, with a previous key that rotates away. */
const RING: KeyRing = {
  current: { id: 'k2', secret: Buffer.alloc(32, 0x22) },
  previous: [{ id: 'k1', secret: Buffer.alloc(32, 0x11) }],
};
/** The lone key Secrets Manager generates on the first deployment: 64 letters and digits. */
const LONE_KEY_SECRET = 'Zx9'.repeat(21).concat('Q');
const LONE_KEY = JSON.stringify({ id: 'k1', secret: LONE_KEY_SECRET });

interface Version {
  value?: string;
  readonly stages: Set<string>;
}

function notFound(message: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, $metadata: {} });
}

/** One secret's versions, as Secrets Manager keeps them. */
class FakeSecret {
  rotationEnabled = true;
  readonly versions = new Map<string, Version>();

  constructor(initial: string) {
    this.versions.set('v0', { value: initial, stages: new Set(['AWSCURRENT']) });
  }

  /** The version holding `stage`, if any. */
  holder(stage: string): string | undefined {
    return [...this.versions.entries()].find(([, version]) => version.stages.has(stage))?.[0];
  }

  value(stage: string): string {
    const id = this.holder(stage);
    const value = id === undefined ? undefined : this.versions.get(id)?.value;
    if (value === undefined) throw new Error(`no ${stage} value`);
    return value;
  }

  /** What RotateSecret does before calling the function: an empty version staged AWSPENDING. */
  startRotation(token: string): void {
    this.moveStage('AWSPENDING', token);
  }

  moveStage(stage: string, to: string): void {
    for (const version of this.versions.values()) version.stages.delete(stage);
    const version = this.versions.get(to) ?? { stages: new Set<string>() };
    version.stages.add(stage);
    this.versions.set(to, version);
  }

  describe() {
    return {
      ARN: SECRET_ARN,
      RotationEnabled: this.rotationEnabled,
      VersionIdsToStages: Object.fromEntries(
        [...this.versions.entries()].map(([id, version]) => [id, [...version.stages]]),
      ),
    };
  }

  get(input: { VersionId?: string; VersionStage?: string }) {
    const id = input.VersionId ?? this.holder(input.VersionStage ?? 'AWSCURRENT');
    const version = id === undefined ? undefined : this.versions.get(id);
    if (id === undefined || version === undefined) throw notFound('no such version');
    if (input.VersionStage !== undefined && !version.stages.has(input.VersionStage)) {
      throw notFound('the version does not hold that stage');
    }
    if (version.value === undefined) throw notFound('the version has no value');
    return { ARN: SECRET_ARN, VersionId: id, SecretString: version.value };
  }

  put(input: { ClientRequestToken?: string; SecretString?: string; VersionStages?: string[] }) {
    const id = input.ClientRequestToken ?? 'generated';
    const existing = this.versions.get(id);
    if (existing?.value !== undefined && existing.value !== input.SecretString) {
      throw new ResourceExistsException({ message: 'version exists with another value', $metadata: {} });
    }
    for (const stage of input.VersionStages ?? ['AWSCURRENT']) this.moveStage(stage, id);
    const version = this.versions.get(id) ?? { stages: new Set<string>() };
    version.value = input.SecretString;
    this.versions.set(id, version);
    return { ARN: SECRET_ARN, VersionId: id };
  }

  updateStage(input: { VersionStage?: string; MoveToVersionId?: string; RemoveFromVersionId?: string }) {
    const stage = input.VersionStage ?? '';
    const holder = this.holder(stage);
    if (holder !== undefined && holder !== input.RemoveFromVersionId && holder !== input.MoveToVersionId) {
      throw new Error(`${stage} is on ${holder}: RemoveFromVersionId must name it`);
    }
    if (stage === 'AWSCURRENT' && holder !== undefined) this.moveStage('AWSPREVIOUS', holder);
    this.moveStage(stage, input.MoveToVersionId ?? '');
    return { ARN: SECRET_ARN };
  }
}

const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });
let secret: FakeSecret;
let logged: string[];

function useSecret(initial: string): FakeSecret {
  secret = new FakeSecret(initial);
  sm.reset();
  sm.on(DescribeSecretCommand).callsFake(() => secret.describe());
  sm.on(GetSecretValueCommand).callsFake((input) => secret.get(input));
  sm.on(PutSecretValueCommand).callsFake((input) => secret.put(input));
  sm.on(UpdateSecretVersionStageCommand).callsFake((input) => secret.updateStage(input));
  return secret;
}

/** The operations sent since the mock was last reset, as `secretsmanager:<Operation>`. */
function sentCalls(): string[] {
  return sm.calls().map((call) => `secretsmanager:${call.args[0].constructor.name.replace(/Command$/, '')}`);
}

/** One step as Secrets Manager invokes it; the calls it sent go into the call ledger. */
async function step(name: RotationStep | string, token = TOKEN) {
  try {
    return await rotateKeyRing({ SecretId: SECRET_ARN, ClientRequestToken: token, Step: name }, client, NOW);
  } finally {
    for (const call of sentCalls()) recordSentCall(FUNCTION_NAME, call);
  }
}

/** A whole rotation under `token`, each step once. */
async function rotate(token = TOKEN) {
  secret.startRotation(token);
  const outcomes = [];
  for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    outcomes.push(await step(name, token));
  }
  return outcomes;
}

function ringOf(stage: string): KeyRing {
  return parseKeyRing(secret.value(stage), stage);
}

function writes(): string[] {
  return sentCalls().filter((call) => /PutSecretValue|UpdateSecretVersionStage/.test(call));
}

const CLAIMS = {
  approvalId: '0123456789abcdef0123456789abcdef',
  recipient: 'approver@acme.example',
  expiresAt: new Date(NOW.getTime() + 86_400_000),
};

beforeEach(() => {
  useSecret(serializeKeyRing(RING));
  logged = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
      logged.push(JSON.stringify(args));
    });
  }
});

afterAll(() => {
  sm.restore();
  vi.restoreAllMocks();
});

describe('a rotation, step by step', () => {
  it('makes a ring of a fresh current key and the old current key, and moves AWSCURRENT to it', async () => {
    expect(await rotate()).toEqual(['created', 'nothing-to-set', 'tested', 'finished']);

    expect(secret.holder('AWSCURRENT')).toBe(TOKEN);
    expect(secret.holder('AWSPREVIOUS')).toBe('v0');
    const ring = ringOf('AWSCURRENT');
    expect(ring.current.id).toMatch(/^k20260301T093000-[0-9a-f]{6}$/);
    expect(ring.current.secret).toHaveLength(32);
    expect(ring.current.secret.equals(RING.current.secret)).toBe(false);
    // Only the key that signed until now is kept: k1 was already two rotations old.
    expect(ring.previous).toEqual([RING.current]);
  });

  it('createSecret stages the new ring as AWSPENDING under the token and leaves AWSCURRENT alone', async () => {
    secret.startRotation(TOKEN);
    expect(await step('createSecret')).toBe('created');
    expect(secret.holder('AWSPENDING')).toBe(TOKEN);
    expect(secret.holder('AWSCURRENT')).toBe('v0');
    expect(ringOf('AWSPENDING').previous).toEqual([RING.current]);
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toMatchObject({
      SecretId: SECRET_ARN,
      ClientRequestToken: TOKEN,
      VersionStages: ['AWSPENDING'],
    });
  });

  it('setSecret has nothing to set: no other system holds the ring', async () => {
    secret.startRotation(TOKEN);
    await step('createSecret');
    expect(await step('setSecret')).toBe('nothing-to-set');
    expect(writes()).toEqual(['secretsmanager:PutSecretValue']);
  });

  it('testSecret reads the pending ring and writes nothing', async () => {
    secret.startRotation(TOKEN);
    await step('createSecret');
    sm.resetHistory();
    expect(await step('testSecret')).toBe('tested');
    expect(writes()).toEqual([]);
  });

  it('finishSecret moves AWSCURRENT from the version that held it to the token', async () => {
    secret.startRotation(TOKEN);
    await step('createSecret');
    await step('testSecret');
    expect(await step('finishSecret')).toBe('finished');
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: 'v0',
    });
  });

  it('sends exactly the calls the rotation function is granted', async () => {
    await rotate();
    expect([...new Set(sentCalls())].sort()).toEqual([...KEY_ROTATION_CALLS].sort());
  });
});

describe('retries: Secrets Manager runs a step again when it does not hear back', () => {
  it('createSecret run again keeps the ring it wrote (one new key, one write)', async () => {
    secret.startRotation(TOKEN);
    await step('createSecret');
    const first = secret.value('AWSPENDING');
    expect(await step('createSecret')).toBe('already-created');
    expect(secret.value('AWSPENDING')).toBe(first);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  it('createSecret that failed before writing writes on the next try', async () => {
    secret.startRotation(TOKEN);
    sm.on(PutSecretValueCommand).rejectsOnce(new Error('socket hang up'));
    await expect(step('createSecret')).rejects.toThrow('socket hang up');
    sm.on(PutSecretValueCommand).callsFake((input) => secret.put(input));
    expect(await step('createSecret')).toBe('created');
    expect(ringOf('AWSPENDING').previous).toEqual([RING.current]);
  });

  it('setSecret and testSecret run again answer the same and write nothing more', async () => {
    secret.startRotation(TOKEN);
    await step('createSecret');
    expect([await step('setSecret'), await step('setSecret')]).toEqual(['nothing-to-set', 'nothing-to-set']);
    expect([await step('testSecret'), await step('testSecret')]).toEqual(['tested', 'tested']);
    expect(writes()).toEqual(['secretsmanager:PutSecretValue']);
  });

  it('finishSecret run again finds the version current and changes nothing', async () => {
    await rotate();
    const ring = secret.value('AWSCURRENT');
    expect(await step('finishSecret')).toBe('already-current');
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
    expect(secret.value('AWSCURRENT')).toBe(ring);
    expect(secret.holder('AWSPREVIOUS')).toBe('v0');
  });

  it('any step that arrives after the rotation completed does nothing', async () => {
    await rotate();
    sm.resetHistory();
    for (const name of ['createSecret', 'setSecret', 'testSecret'] as const) {
      expect(await step(name)).toBe('already-current');
    }
    expect(writes()).toEqual([]);
  });

  it('a whole rotation run twice over makes one new key', async () => {
    await rotate();
    const ring = secret.value('AWSCURRENT');
    for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) await step(name);
    expect(secret.value('AWSCURRENT')).toBe(ring);
  });
});

describe('the key ring across rotations', () => {
  it('turns the generated lone key into a ring that still holds it', async () => {
    useSecret(LONE_KEY);
    await rotate();
    const ring = ringOf('AWSCURRENT');
    expect(ring.previous).toHaveLength(1);
    expect(ring.previous[0]?.id).toBe('k1');
    expect(ring.previous[0]?.secret.equals(Buffer.from(LONE_KEY_SECRET, 'base64'))).toBe(true);
    expect(ring.current.id).not.toBe('k1');
  });

  it('keeps verifying a link signed before the rotation, until the next rotation', async () => {
    useSecret(LONE_KEY);
    const before = linkPartsOf(
      signApprovalLink('https://approve.acme.example', CLAIMS, ringOf('AWSCURRENT')),
    );

    await rotate();
    const after = ringOf('AWSCURRENT');
    expect(verifyApprovalLink(before, after, NOW)).toMatchObject({ ok: true, keyId: 'k1' });
    const fresh = linkPartsOf(signApprovalLink('https://approve.acme.example', CLAIMS, after));
    expect(verifyApprovalLink(fresh, after, NOW)).toMatchObject({ ok: true, keyId: after.current.id });

    // The second rotation drops k1: why the interval must outlast the approval TTL.
    await rotate('66666666-7777-4888-8999-000000000000');
    const next = ringOf('AWSCURRENT');
    expect(verifyApprovalLink(before, next, NOW)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(verifyApprovalLink(fresh, next, NOW)).toMatchObject({ ok: true, keyId: after.current.id });
  });
});

describe('refusals', () => {
  it('refuses a step that is not one of the four, and sends nothing', async () => {
    await expect(step('rotateSecret')).rejects.toThrow(
      new InvalidInputError(
        'key ring rotation: Step must be one of createSecret, setSecret, testSecret, finishSecret',
      ),
    );
    await expect(rotateKeyRing({ Step: 'createSecret', SecretId: SECRET_ARN }, client, NOW)).rejects.toThrow(
      /no ClientRequestToken/,
    );
    await expect(rotateKeyRing(undefined, client, NOW)).rejects.toThrow(/no SecretId/);
    expect(sentCalls()).toEqual([]);
  });

  it('refuses a token that names no version of the secret', async () => {
    await expect(step('createSecret', 'no-such-token')).rejects.toThrow(
      `key ring rotation: secret ${SECRET_ARN} has no version no-such-token`,
    );
    expect(writes()).toEqual([]);
  });

  it('refuses a version that is neither pending nor current (an old one)', async () => {
    await rotate();
    // v0 is AWSPREVIOUS now: a step for it must not touch the secret.
    await expect(step('finishSecret', 'v0')).rejects.toThrow(/version v0 .* is not staged AWSPENDING/);
    expect(secret.holder('AWSCURRENT')).toBe(TOKEN);
  });

  it('refuses every step while the secret has rotation turned off', async () => {
    secret.startRotation(TOKEN);
    secret.rotationEnabled = false;
    await expect(step('createSecret')).rejects.toThrow(/has rotation turned off/);
    expect(sentCalls()).toEqual(['secretsmanager:DescribeSecret']);
  });

  it('fails createSecret on a current value that is no key ring, naming neither its text nor a key', async () => {
    useSecret('{"current":{"id":"k1","secret":"c2hvcnQ="}}');
    secret.startRotation(TOKEN);
    const error = await step('createSecret').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(String((error as Error).message)).not.toContain('c2hvcnQ');
    expect(writes()).toEqual([]);
  });

  it('fails testSecret on a pending ring that dropped the current key (links already sent would break)', async () => {
    secret.startRotation(TOKEN);
    secret.put({
      ClientRequestToken: TOKEN,
      SecretString: serializeKeyRing({ current: { id: 'k9', secret: Buffer.alloc(32, 0x99) }, previous: [] }),
      VersionStages: ['AWSPENDING'],
    });
    await expect(step('testSecret')).rejects.toThrow(
      'key ring rotation: the AWSPENDING ring does not verify links signed with the AWSCURRENT key',
    );
  });

  it('fails testSecret on a pending value that is no key ring', async () => {
    secret.startRotation(TOKEN);
    secret.put({ ClientRequestToken: TOKEN, SecretString: 'not json', VersionStages: ['AWSPENDING'] });
    await expect(step('testSecret')).rejects.toThrow(/key ring from secret .* \(AWSPENDING\): not JSON/);
  });
});

describe('what is logged', () => {
  it('names the secret, versions and key ids, never a key', async () => {
    useSecret(LONE_KEY);
    await rotate();
    await rotate('66666666-7777-4888-8999-000000000000');
    await step('finishSecret', '66666666-7777-4888-8999-000000000000'); // a late retry
    const errors: string[] = [];
    secret.startRotation('77777777-7777-4777-8777-777777777777');
    secret.put({
      ClientRequestToken: '77777777-7777-4777-8777-777777777777',
      SecretString: serializeKeyRing({ current: { id: 'k9', secret: Buffer.alloc(32, 0x99) }, previous: [] }),
      VersionStages: ['AWSPENDING'],
    });
    await step('testSecret', '77777777-7777-4777-8777-777777777777').catch((e: Error) =>
      errors.push(e.message),
    );
    expect(errors).toHaveLength(1);

    // Every key that was ever in the secret, in each form it could be written.
    const keys = [...secret.versions.values()].flatMap((version) => {
      if (version.value === undefined) return [];
      const ring = parseKeyRing(version.value, 'test');
      return [ring.current, ...ring.previous].flatMap((key) => [
        key.secret.toString('base64'),
        key.secret.toString('base64url'),
        key.secret.toString('hex'),
      ]);
    });
    expect(keys.length).toBeGreaterThan(6);
    const output = [...logged, ...errors].join('\n');
    expect(logged.join('\n')).toContain('pending ring created');
    for (const key of [...keys, LONE_KEY_SECRET]) expect(output).not.toContain(key);
    expect(output).not.toContain('"secret"');
  });
});

describe('the Lambda entry point', () => {
  it('runs the step Secrets Manager names with its own client', async () => {
    secret.startRotation(TOKEN);
    const { handler } = await import('../../../tasks/rotate-approval-keys/handler.js');
    const context = { functionName: 'rotate-approval-keys', awsRequestId: 'req-1' } as Context;
    await handler({ SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step: 'createSecret' }, context);
    for (const call of sentCalls()) recordSentCall(FUNCTION_NAME, call);
    expect(secret.holder('AWSPENDING')).toBe(TOKEN);
    expect(logged.join('\n')).toContain('"outcome":"created"');
  });
});
