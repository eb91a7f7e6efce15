import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BACKUP_FORMAT,
  BackupFailedError,
  evidenceBucketName,
  readBackup,
  writeBackup,
} from '../../../tasks/remediate-exposure/backup.js';
import { InvalidInputError } from '../../../tasks/shared/errors.js';
import {
  ALL_USERS,
  acl,
  BUCKET,
  groupGrant,
  OWNER_ACCOUNT,
  privateSnapshot,
} from '../../support/snapshots.js';

const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3Mock = mockClient(s3);

const EVIDENCE = `s3-exposure-evidence-${OWNER_ACCOUNT}-us-east-1`;
const INCIDENT_ID = 'inc-20250304-1a2b3c4d';
const EXECUTION_ID = `arn:aws:states:us-east-1:${OWNER_ACCOUNT}:execution:s3-exposure-response:exec-a`;
const NOW = new Date('2025-03-04T10:15:06.412Z');
const KEY = `backups/${BUCKET}/${INCIDENT_ID}/2025-03-04T10-15-06.412Z.json`;
const LOCATION = `s3://${EVIDENCE}/${KEY}`;

/** A policy as S3 might return it: indented, keys in no particular order. Kept to the byte. */
const POLICY_TEXT = `{
  "Statement" : [ { "Sid":"PublicRead", "Principal":"*", "Effect":"Allow",
      "Resource":"arn:aws:s3:::${BUCKET}/*", "Action":"s3:GetObject" } ],
  "Version":"2012-10-17"
}`;
const SNAPSHOT = privateSnapshot({
  bucketPolicy: POLICY_TEXT,
  bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
});

function backUp(): Promise<string> {
  return writeBackup(s3, {
    evidenceBucket: EVIDENCE,
    accountId: OWNER_ACCOUNT,
    incidentId: INCIDENT_ID,
    executionId: EXECUTION_ID,
    snapshot: SNAPSHOT,
    now: NOW,
  });
}

function s3Error(name: string, httpStatusCode: number): S3ServiceException {
  const $fault = httpStatusCode >= 500 ? 'server' : 'client';
  return new S3ServiceException({ name, $fault, $metadata: { httpStatusCode }, message: `${name} (test)` });
}

/** The PutObject inputs sent, in order. */
function puts() {
  return s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
}

/** The body of the one PutObject sent, as the text it was sent as. */
function sentBody(): string {
  const [put] = puts();
  const body = put?.Body;
  if (typeof body !== 'string') throw new Error('no PutObject with a text body was sent');
  return body;
}

/** Programs GetObject to answer with `text` as a streaming body, as the SDK gives it. */
function storedAs(text: string): void {
  s3Mock.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(Readable.from([Buffer.from(text, 'utf8')])) });
}

/** What a promise was rejected with; fails the test when it resolves. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const ALL_ON = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

beforeEach(() => {
  s3Mock.reset();
  // The evidence bucket as the stack creates it: all four Block Public Access flags on.
  s3Mock.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON });
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag-1"' });
});

describe('writeBackup', () => {
  it('sends one PutObject to the evidence bucket, owned by the account and encrypted', async () => {
    await backUp();

    expect(puts()).toEqual([
      expect.objectContaining({
        Bucket: EVIDENCE,
        ExpectedBucketOwner: OWNER_ACCOUNT,
        ContentType: 'application/json',
        ServerSideEncryption: 'AES256',
      }),
    ]);
  });

  it('keys the backup under backups/<bucket>/<incidentId>/, named for the time it was taken', async () => {
    await backUp();

    expect(puts().map((input) => input.Key)).toEqual([KEY]);
  });

  it('returns the s3:// location of the backup', async () => {
    await expect(backUp()).resolves.toBe(LOCATION);
  });

  it('writes a JSON document in the backup format, naming the incident and execution', async () => {
    await backUp();

    expect(JSON.parse(sentBody())).toEqual({
      format: 's3-exposure-backup/1',
      incidentId: INCIDENT_ID,
      executionId: EXECUTION_ID,
      takenAt: NOW.toISOString(),
      snapshot: SNAPSHOT,
    });
  });

  it('keeps the policy text exactly as S3 returned it', async () => {
    await backUp();

    const body: unknown = JSON.parse(sentBody());
    expect(body).toMatchObject({ snapshot: { bucketPolicy: POLICY_TEXT } });
  });

  it.each([
    ['S3 refuses it', s3Error('AccessDenied', 403)],
    ['the evidence bucket does not exist', s3Error('NoSuchBucket', 404)],
    ['S3 fails', s3Error('InternalError', 500)],
    ['the network fails', new Error('socket hang up')],
  ])('throws BackupFailedError when %s', async (_case, error) => {
    s3Mock.on(PutObjectCommand).rejects(error);

    await expect(backUp()).rejects.toBeInstanceOf(BackupFailedError);
  });

  it('names the location, the error and that nothing was changed when the write fails', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));

    await expect(backUp()).rejects.toThrow(
      `could not write the backup to ${LOCATION}: AccessDenied; nothing was changed`,
    );
  });

  it('names the error BackupFailedError, as the state machine matches it', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));

    await expect(backUp()).rejects.toHaveProperty('name', 'BackupFailedError');
  });

  it("reads the evidence bucket's Block Public Access, owned by the account, before writing", async () => {
    await backUp();

    expect(s3Mock.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'GetPublicAccessBlockCommand',
      'PutObjectCommand',
    ]);
    expect(s3Mock.commandCalls(GetPublicAccessBlockCommand)[0]?.args[0].input).toEqual({
      Bucket: EVIDENCE,
      ExpectedBucketOwner: OWNER_ACCOUNT,
    });
  });

  it.each(Object.keys(ALL_ON))(
    'writes nothing and throws BackupFailedError when the evidence bucket has %s off',
    async (flag) => {
      s3Mock
        .on(GetPublicAccessBlockCommand)
        .resolves({ PublicAccessBlockConfiguration: { ...ALL_ON, [flag]: false } });

      await expect(backUp()).rejects.toBeInstanceOf(BackupFailedError);
      expect(puts()).toEqual([]);
    },
  );

  it('names the evidence bucket and the flags that are off when it is not private', async () => {
    s3Mock.on(GetPublicAccessBlockCommand).resolves({
      PublicAccessBlockConfiguration: { ...ALL_ON, BlockPublicPolicy: false, RestrictPublicBuckets: false },
    });

    await expect(backUp()).rejects.toThrow(
      `the evidence bucket ${EVIDENCE} is not private (Block Public Access BlockPublicPolicy, RestrictPublicBuckets are off): the backup was not written and nothing was changed`,
    );
  });

  it('writes nothing when the evidence bucket has no Block Public Access configuration', async () => {
    s3Mock.on(GetPublicAccessBlockCommand).rejects(s3Error('NoSuchPublicAccessBlockConfiguration', 404));

    await expect(backUp()).rejects.toThrow(
      `the evidence bucket ${EVIDENCE} is not private (it has no Block Public Access configuration)`,
    );
    expect(puts()).toEqual([]);
  });

  it('writes nothing when an answer without a configuration comes back', async () => {
    s3Mock.on(GetPublicAccessBlockCommand).resolves({});

    await expect(backUp()).rejects.toBeInstanceOf(BackupFailedError);
    expect(puts()).toEqual([]);
  });

  it('writes nothing, keeping the cause, when S3 will not say whether the evidence bucket is private', async () => {
    const refusal = s3Error('AccessDenied', 403);
    s3Mock.on(GetPublicAccessBlockCommand).rejects(refusal);

    const error = await failureOf(backUp());

    expect(error).toBeInstanceOf(BackupFailedError);
    expect(error).toHaveProperty('cause', refusal);
    expect(error).toHaveProperty(
      'message',
      `could not check that the evidence bucket ${EVIDENCE} is private: AccessDenied; the backup was not written and nothing was changed`,
    );
    expect(puts()).toEqual([]);
  });

  it("keeps S3's error as the cause", async () => {
    const refusal = s3Error('AccessDenied', 403);
    s3Mock.on(PutObjectCommand).rejects(refusal);

    await expect(backUp()).rejects.toHaveProperty('cause', refusal);
  });
});

describe('readBackup', () => {
  it('reads back what writeBackup wrote, the policy text unchanged', async () => {
    await backUp();
    storedAs(sentBody());

    const backup = await readBackup(s3, LOCATION, OWNER_ACCOUNT);

    expect(backup).toEqual({
      format: BACKUP_FORMAT,
      incidentId: INCIDENT_ID,
      executionId: EXECUTION_ID,
      takenAt: NOW.toISOString(),
      snapshot: SNAPSHOT,
    });
    expect(backup.snapshot.bucketPolicy).toBe(POLICY_TEXT);
  });

  it('gets the object of the location, owned by the account', async () => {
    await backUp();
    storedAs(sentBody());

    await readBackup(s3, LOCATION, OWNER_ACCOUNT);

    expect(s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: EVIDENCE, Key: KEY, ExpectedBucketOwner: OWNER_ACCOUNT },
    ]);
  });

  it('throws InvalidInputError when the backup is not JSON', async () => {
    storedAs('{"format": "s3-exposure-backup/1", ');

    const error = await failureOf(readBackup(s3, LOCATION, OWNER_ACCOUNT));

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toHaveProperty('message', `the backup at ${LOCATION} is not JSON`);
  });

  it('throws InvalidInputError when the backup is in another format', async () => {
    await backUp();
    storedAs(sentBody().replace(BACKUP_FORMAT, 's3-exposure-backup/2'));

    const error = await failureOf(readBackup(s3, LOCATION, OWNER_ACCOUNT));

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toHaveProperty(
      'message',
      `the backup at ${LOCATION} is not a s3-exposure-backup/1 document`,
    );
  });

  it('throws InvalidInputError when the stored snapshot breaks the snapshot contract', async () => {
    storedAs(
      JSON.stringify({
        format: BACKUP_FORMAT,
        incidentId: INCIDENT_ID,
        executionId: EXECUTION_ID,
        takenAt: NOW.toISOString(),
        snapshot: { ...SNAPSHOT, accountId: 'not-an-account' },
      }),
    );

    await expect(readBackup(s3, LOCATION, OWNER_ACCOUNT)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('throws InvalidInputError for a location that is not s3://bucket/key, reading nothing', async () => {
    await expect(readBackup(s3, `https://${EVIDENCE}/${KEY}`, OWNER_ACCOUNT)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(s3Mock.calls()).toEqual([]);
  });
});

describe('evidenceBucketName', () => {
  it('names the bucket after the account and Region by default', () => {
    expect(evidenceBucketName(undefined, OWNER_ACCOUNT, 'eu-west-1')).toBe(
      `s3-exposure-evidence-${OWNER_ACCOUNT}-eu-west-1`,
    );
  });

  it('uses the configured bucket when there is one', () => {
    expect(evidenceBucketName('acme-security-evidence', OWNER_ACCOUNT, 'eu-west-1')).toBe(
      'acme-security-evidence',
    );
  });
});
