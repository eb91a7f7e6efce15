/**
 * Rotation of the approval key ring by Secrets Manager, as its Lambda rotation contract asks:
 * Secrets Manager stages a new version under a token as AWSPENDING and calls the function with
 * each step in turn (createSecret, setSecret, testSecret, finishSecret), retrying a step that
 * failed. Every step must therefore be safe to run again, and a step for a version that is
 * already AWSCURRENT does nothing.
 *
 * The new ring signs with a fresh random key and keeps the old current key as its only previous
 * one, so links signed before the rotation still verify until the next rotation (the stack keeps
 * the interval longer than the approval TTL). Older previous keys are dropped.
 *
 * Logs name the secret, the version and the key ids (ids are in every link, not secret); never a
 * key or the secret's text.
 */
import { randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  generateKeyRing,
  type KeyRing,
  parseKeyRing,
  serializeKeyRing,
  signApprovalLink,
  verifyApprovalLink,
} from '../shared/approval/links.js';
import { errorName } from '../shared/aws-errors.js';
import { InvalidInputError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

export type RotationStep = (typeof STEPS)[number];

/** What Secrets Manager sends (the shape of `SecretsManagerRotationEvent` in @types/aws-lambda). */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

/** What a step did; `already-*` is a retried step that found its work done. */
export type RotationOutcome =
  | 'created'
  | 'already-created'
  | 'nothing-to-set'
  | 'tested'
  | 'finished'
  | 'already-current';

/**
 * Runs one step of a rotation. Throws InvalidInputError for an event that is not a rotation
 * step, a secret whose rotation is off, a token that names no version or one not AWSPENDING,
 * and a ring that does not parse or does not sign and verify; Secrets Manager then marks the
 * rotation failed and AWSCURRENT stays as it was.
 */
export async function rotateKeyRing(
  event: unknown,
  client: SecretsManagerClient,
  now: Date = new Date(),
): Promise<RotationOutcome> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = checkedEvent(event);
  const fields = { secretId, version: token, step };

  const metadata = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  // A call for a secret whose rotation was turned off meanwhile must change nothing.
  if (metadata.RotationEnabled !== true) {
    throw new InvalidInputError(`key ring rotation: secret ${secretId} has rotation turned off`);
  }
  const versions = metadata.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (stages === undefined) {
    throw new InvalidInputError(`key ring rotation: secret ${secretId} has no version ${token}`);
  }
  // finishSecret ran already (a retry, or a rotation that completed): nothing is left to do.
  if (stages.includes(CURRENT)) {
    logger.info('key ring rotation: version already current', fields);
    return 'already-current';
  }
  if (!stages.includes(PENDING)) {
    throw new InvalidInputError(
      `key ring rotation: version ${token} of secret ${secretId} is not staged ${PENDING}`,
    );
  }

  switch (step) {
    case 'createSecret':
      return createSecret(client, secretId, token, now);
    case 'setSecret':
      // The ring lives only in this secret: no other system holds a copy to update.
      logger.info('key ring rotation: nothing to set', fields);
      return 'nothing-to-set';
    case 'testSecret':
      return testSecret(client, secretId, token, now);
    case 'finishSecret': {
      const currentVersion = Object.entries(versions).find(([, labels]) => labels.includes(CURRENT))?.[0];
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: CURRENT,
          MoveToVersionId: token,
          ...(currentVersion === undefined ? {} : { RemoveFromVersionId: currentVersion }),
        }),
      );
      logger.info('key ring rotation: version made current', { ...fields, previousVersion: currentVersion });
      return 'finished';
    }
  }
}

/**
 * The ring after a rotation: a fresh key signs, and the key that signed until now verifies the
 * links it signed. Only one previous key is kept: the interval between rotations outlasts a link.
 */
export function rotatedRing(ring: KeyRing, now: Date): KeyRing {
  let id = newKeyId(now);
  // Two rotations in one second would draw the same id only by a 1 in 16 million chance; still
  // the ring refuses duplicate ids, so draw again rather than fail the rotation.
  while (id === ring.current.id) id = newKeyId(now);
  return { current: generateKeyRing(id).current, previous: [ring.current] };
}

/** `k<UTC date and time>-<6 hex>`: sorts by age and tells an operator when the key was made. */
function newKeyId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15); // 20240514T120000
  return `k${stamp}-${randomBytes(3).toString('hex')}`;
}

async function createSecret(
  client: SecretsManagerClient,
  secretId: string,
  token: string,
  now: Date,
): Promise<RotationOutcome> {
  // Secrets Manager stages the token's version before createSecret, empty: it has a value only
  // when an earlier try of this step wrote it. Writing again would make a second new key.
  if ((await readVersion(client, secretId, { VersionId: token, VersionStage: PENDING })) !== undefined) {
    logger.info('key ring rotation: pending ring already created', { secretId, version: token });
    return 'already-created';
  }
  const current = await readRing(client, secretId, { VersionStage: CURRENT }, CURRENT);
  const next = rotatedRing(current, now);
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: serializeKeyRing(next),
      VersionStages: [PENDING],
    }),
  );
  logger.info('key ring rotation: pending ring created', {
    secretId,
    version: token,
    keyId: next.current.id,
    previousKeyIds: next.previous.map((key) => key.id),
  });
  return 'created';
}

/**
 * The pending ring must parse, sign a link it verifies, and verify a link the current ring
 * signs: otherwise making it current would break the approval page or links already sent.
 */
async function testSecret(
  client: SecretsManagerClient,
  secretId: string,
  token: string,
  now: Date,
): Promise<RotationOutcome> {
  const pending = await readRing(client, secretId, { VersionId: token, VersionStage: PENDING }, PENDING);
  const current = await readRing(client, secretId, { VersionStage: CURRENT }, CURRENT);
  if (!signsAndVerifies(pending, pending, now)) {
    throw new InvalidInputError(`key ring rotation: the ${PENDING} ring does not verify the links it signs`);
  }
  if (!signsAndVerifies(current, pending, now)) {
    throw new InvalidInputError(
      `key ring rotation: the ${PENDING} ring does not verify links signed with the ${CURRENT} key`,
    );
  }
  logger.info('key ring rotation: pending ring tested', {
    secretId,
    version: token,
    keyId: pending.current.id,
  });
  return 'tested';
}

/** Whether a link `signer` signs now verifies under `verifier`. */
function signsAndVerifies(signer: KeyRing, verifier: KeyRing, now: Date): boolean {
  const approvalId = '0'.repeat(32);
  const link = new URL(
    signApprovalLink(
      'https://rotation-check.invalid',
      { approvalId, recipient: 'rotation-check@example.com', expiresAt: new Date(now.getTime() + 60_000) },
      signer,
    ),
  );
  const check = verifyApprovalLink(
    {
      approvalId,
      recipient: link.searchParams.get('r'),
      exp: link.searchParams.get('exp'),
      sig: link.searchParams.get('sig'),
    },
    verifier,
    now,
  );
  return check.ok;
}

type VersionSelector = { readonly VersionStage: string; readonly VersionId?: string };

/** A version's text, or undefined when it has none yet (ResourceNotFoundException). */
async function readVersion(
  client: SecretsManagerClient,
  secretId: string,
  selector: VersionSelector,
): Promise<string | undefined> {
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId, ...selector }));
    return answer.SecretString;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function readRing(
  client: SecretsManagerClient,
  secretId: string,
  selector: VersionSelector,
  label: string,
): Promise<KeyRing> {
  const text = await readVersion(client, secretId, selector);
  if (text === undefined) {
    throw new InvalidInputError(`key ring rotation: secret ${secretId} has no ${label} value`);
  }
  return parseKeyRing(text, `secret ${secretId} (${label})`);
}

/** The event's fields, checked: the error names what is wrong, never echoes the event. */
function checkedEvent(event: unknown): RotationEvent {
  const fields = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const { SecretId, ClientRequestToken, Step } = fields;
  if (typeof SecretId !== 'string' || SecretId === '') {
    throw new InvalidInputError('key ring rotation: the event has no SecretId');
  }
  if (typeof ClientRequestToken !== 'string' || ClientRequestToken === '') {
    throw new InvalidInputError('key ring rotation: the event has no ClientRequestToken');
  }
  if (!STEPS.includes(Step as RotationStep)) {
    throw new InvalidInputError(`key ring rotation: Step must be one of ${STEPS.join(', ')}`);
  }
  return { SecretId, ClientRequestToken, Step: Step as RotationStep };
}
