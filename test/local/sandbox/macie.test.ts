import {
  AccessDeniedException,
  CreateClassificationJobCommand,
  type CreateClassificationJobCommandInput,
  DescribeClassificationJobCommand,
  GetFindingsCommand,
  GetMacieSessionCommand,
  ListFindingsCommand,
  type Macie2Client,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  UpdateClassificationJobCommand,
  ValidationException,
} from '@aws-sdk/client-macie2';
import { describe, expect, it } from 'vitest';
import { sampleKeys } from '../../../local/sandbox/macie-scoping.js';
import type { SandboxAccount } from '../../../local/sandbox/sandbox-account.js';
import { type WorldInput, worldIssues } from '../../../local/sandbox/world.js';
import { FixedClock } from '../../../tasks/shared/clock.js';
import { ACCOUNT, rejection, START, testSandbox } from './support.js';

const BUCKET = 'acme-exports';
const VISA = '4111111111111111';
const MASTERCARD = '5555555555554444';
const CUSTOMERS = `name,email,card_number\nAda,ada@example.com,${VISA}\nGrace,grace@example.com,${MASTERCARD}\n`;

/** A bucket of ten files: one export with card numbers, a key sharing its prefix, and the rest. */
function macieWorld(macie: WorldInput['macie'] = {}): WorldInput {
  return {
    accountId: ACCOUNT,
    region: 'us-east-1',
    buckets: {
      [BUCKET]: {
        objects: {
          'exports/customers.csv': { body: CUSTOMERS, contentType: 'text/csv' },
          'exports/customers.csv.bak': { body: 'name\nAda\n', contentType: 'text/csv' },
          'exports/orders.csv': { body: 'order,total\n1,10\n', contentType: 'text/csv' },
          'public/index.html': { body: '<h1>Acme</h1>', contentType: 'text/html' },
          'public/logo.png': { size: 2_048, contentType: 'image/png' },
          'config/deploy.env': { body: 'aws_secret_access_key=Zk3nQ9pL2vR8sT1uW4xY6zA0bC5dE7fG9hJ2kL4m\n' },
          'archive/2023.tar': { size: 5_000_000 },
          'notes/a.txt': { body: 'hello' },
          'notes/b.txt': { body: 'world' },
          'notes/c.txt': { body: 'again' },
        },
      },
      'acme-eu': { region: 'eu-west-1', objects: { 'x.txt': { body: 'x' } } },
    },
    macie,
  };
}

function setup(macie: WorldInput['macie'] = {}, world: WorldInput = macieWorld(macie)) {
  const clock = new FixedClock(START);
  const sandbox = testSandbox(world, { clock });
  return { sandbox, clock, macie: sandbox.clients().macie };
}

function jobRequest(
  over: Partial<CreateClassificationJobCommandInput> = {},
): CreateClassificationJobCommandInput {
  return {
    clientToken: 'incident-1',
    jobType: 'ONE_TIME',
    name: 's3-exposure incident-1',
    s3JobDefinition: {
      bucketDefinitions: [{ accountId: ACCOUNT, buckets: [BUCKET] }],
      scoping: {
        includes: {
          and: [
            {
              simpleScopeTerm: {
                key: 'OBJECT_KEY',
                comparator: 'STARTS_WITH',
                values: ['exports/customers.csv'],
              },
            },
          ],
        },
      },
    },
    ...over,
  };
}

function bucketWide(over: Partial<CreateClassificationJobCommandInput> = {}) {
  return jobRequest({
    s3JobDefinition: { bucketDefinitions: [{ accountId: ACCOUNT, buckets: [BUCKET] }] },
    ...over,
  });
}

function jobOf(sandbox: SandboxAccount, jobId: string | undefined) {
  const job = sandbox.world.macie?.jobs.find((j) => j.jobId === jobId);
  if (job === undefined) throw new Error(`no job ${jobId}`);
  return job;
}

describe('Macie CreateClassificationJob: what a job scans', () => {
  it('scans only the objects whose keys start with the given key: the key and its prefix-siblings', async () => {
    const { sandbox, macie } = setup();
    const { jobId, jobArn } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    expect(jobArn).toBe(`arn:aws:macie2:us-east-1:${ACCOUNT}:classification-job/${jobId}`);
    expect(jobOf(sandbox, jobId).scan).toEqual({
      bucket: BUCKET,
      eligibleObjects: 2,
      keys: ['exports/customers.csv', 'exports/customers.csv.bak'],
      bytes: Buffer.byteLength(CUSTOMERS) + Buffer.byteLength('name\nAda\n'),
    });
  });

  it('ORs several OBJECT_KEY values', async () => {
    const { sandbox, macie } = setup();
    const request = jobRequest();
    const values = ['public/', 'notes/a.txt'];
    request.s3JobDefinition = {
      ...request.s3JobDefinition,
      scoping: {
        includes: { and: [{ simpleScopeTerm: { key: 'OBJECT_KEY', comparator: 'STARTS_WITH', values } }] },
      },
    };
    const { jobId } = await macie.send(new CreateClassificationJobCommand(request));
    expect(jobOf(sandbox, jobId).scan.keys).toEqual(['notes/a.txt', 'public/index.html', 'public/logo.png']);
  });

  it('scans a whole bucket without scoping, and leaves out objects over a size cap (OBJECT_SIZE LT)', async () => {
    const { sandbox, macie } = setup();
    const whole = await macie.send(new CreateClassificationJobCommand(bucketWide()));
    expect(jobOf(sandbox, whole.jobId).scan.keys).toHaveLength(10);
    const capped = await macie.send(
      new CreateClassificationJobCommand(
        bucketWide({
          clientToken: 'capped',
          s3JobDefinition: {
            bucketDefinitions: [{ accountId: ACCOUNT, buckets: [BUCKET] }],
            scoping: {
              includes: {
                and: [{ simpleScopeTerm: { key: 'OBJECT_SIZE', comparator: 'LT', values: ['1048576'] } }],
              },
            },
          },
        }),
      ),
    );
    const scan = jobOf(sandbox, capped.jobId).scan;
    expect(scan.keys).not.toContain('archive/2023.tar');
    expect(scan.keys).toHaveLength(9);
    expect(jobOf(sandbox, whole.jobId).scan.bytes - scan.bytes).toBe(5_000_000);
  });

  it('leaves out what the excludes block matches', async () => {
    const { sandbox, macie } = setup();
    const { jobId } = await macie.send(
      new CreateClassificationJobCommand(
        bucketWide({
          s3JobDefinition: {
            bucketDefinitions: [{ accountId: ACCOUNT, buckets: [BUCKET] }],
            scoping: {
              excludes: {
                and: [
                  { simpleScopeTerm: { key: 'OBJECT_EXTENSION', comparator: 'EQ', values: ['txt', 'tar'] } },
                ],
              },
            },
          },
        }),
      ),
    );
    expect(jobOf(sandbox, jobId).scan.keys).toHaveLength(6);
  });

  it('samples that share of the eligible objects, picked by job id and key', async () => {
    const { sandbox, macie } = setup();
    const { jobId = '' } = await macie.send(
      new CreateClassificationJobCommand(bucketWide({ samplingPercentage: 50 })),
    );
    const scan = jobOf(sandbox, jobId).scan;
    expect(scan.eligibleObjects).toBe(10);
    expect(scan.keys).toHaveLength(5);
    const all = Object.keys(sandbox.world.buckets[BUCKET]?.objects ?? {});
    expect(sampleKeys(all, 50, jobId)).toEqual(scan.keys);
    expect(sampleKeys(all, 10, jobId)).toHaveLength(1);
  });

  it('answers a repeated client token with the first job and starts no second one', async () => {
    const { sandbox, macie } = setup();
    const first = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    const second = await macie.send(new CreateClassificationJobCommand(jobRequest({ name: 'other name' })));
    expect(second.jobId).toBe(first.jobId);
    expect(sandbox.world.macie?.jobs).toHaveLength(1);
    const third = await macie.send(
      new CreateClassificationJobCommand(jobRequest({ clientToken: 'incident-2' })),
    );
    expect(third.jobId).not.toBe(first.jobId);
  });

  it.each([
    [
      'OBJECT_KEY with EQ',
      { key: 'OBJECT_KEY', comparator: 'EQ', values: ['exports/'] },
      /comparator: EQ is not valid for OBJECT_KEY/,
    ],
    [
      'OBJECT_EXTENSION with STARTS_WITH',
      { key: 'OBJECT_EXTENSION', comparator: 'STARTS_WITH', values: ['csv'] },
      /STARTS_WITH is not valid/,
    ],
    [
      'OBJECT_SIZE with CONTAINS',
      { key: 'OBJECT_SIZE', comparator: 'CONTAINS', values: ['1'] },
      /CONTAINS is not valid/,
    ],
    [
      'OBJECT_SIZE with two values',
      { key: 'OBJECT_SIZE', comparator: 'LT', values: ['1', '2'] },
      /OBJECT_SIZE takes one value/,
    ],
    [
      'OBJECT_SIZE that is not a number',
      { key: 'OBJECT_SIZE', comparator: 'LT', values: ['1MB'] },
      /size in bytes/,
    ],
    [
      'OBJECT_KEY without values',
      { key: 'OBJECT_KEY', comparator: 'STARTS_WITH', values: [] },
      /at least one value/,
    ],
  ] as const)('refuses %s with ValidationException', async (_name, term, message) => {
    const { sandbox, macie } = setup();
    const request = jobRequest();
    request.s3JobDefinition = {
      ...request.s3JobDefinition,
      scoping: { includes: { and: [{ simpleScopeTerm: { ...term, values: [...term.values] } }] } },
    };
    const error = await rejection(macie.send(new CreateClassificationJobCommand(request)));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toMatch(message);
    expect(sandbox.world.macie?.jobs ?? []).toEqual([]);
  });

  it.each([
    ['a sampling percentage of 0', bucketWide({ samplingPercentage: 0 }), /samplingPercentage/],
    [
      'a bucket that does not exist',
      bucketWide({
        s3JobDefinition: { bucketDefinitions: [{ accountId: ACCOUNT, buckets: ['nope-bucket'] }] },
      }),
      /isn't in the Macie inventory/,
    ],
    [
      'a bucket of another Region',
      bucketWide({ s3JobDefinition: { bucketDefinitions: [{ accountId: ACCOUNT, buckets: ['acme-eu'] }] } }),
      /isn't in the Macie inventory for us-east-1/,
    ],
    [
      'another account',
      bucketWide({
        s3JobDefinition: { bucketDefinitions: [{ accountId: '444455556666', buckets: [BUCKET] }] },
      }),
      /444455556666/,
    ],
    [
      'INCLUDE without identifiers',
      bucketWide({ managedDataIdentifierSelector: 'INCLUDE' }),
      /managedDataIdentifierIds is required/,
    ],
    [
      'an unknown custom data identifier',
      bucketWide({ customDataIdentifierIds: ['cdi-none'] }),
      /cdi-none doesn't exist/,
    ],
  ])('refuses %s with ValidationException', async (_name, request, message) => {
    const { macie } = setup();
    const error = await rejection(macie.send(new CreateClassificationJobCommand(request)));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(message);
  });
});

describe('Macie job status over the sandbox clock', () => {
  it('stays RUNNING for scanSeconds, then is COMPLETE with its findings', async () => {
    const { macie, clock } = setup({ scanSeconds: 60 });
    const { jobId } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    const running = await macie.send(new DescribeClassificationJobCommand({ jobId }));
    expect(running.jobStatus).toBe('RUNNING');
    expect(running.statistics).toEqual({ approximateNumberOfObjectsToProcess: 2, numberOfRuns: 1 });
    expect(running.createdAt).toEqual(new Date(START));
    clock.advance(59_000);
    expect((await macie.send(new DescribeClassificationJobCommand({ jobId }))).jobStatus).toBe('RUNNING');
    const none = await macie.send(
      new ListFindingsCommand({
        findingCriteria: { criterion: { 'classificationDetails.jobId': { eq: [jobId ?? ''] } } },
      }),
    );
    expect(none.findingIds).toEqual([]);
    clock.advance(1_000);
    const done = await macie.send(new DescribeClassificationJobCommand({ jobId }));
    expect(done.jobStatus).toBe('COMPLETE');
    expect(done.lastRunErrorStatus).toEqual({ code: 'NONE' });
    expect(done.statistics?.approximateNumberOfObjectsToProcess).toBe(0);
    const some = await macie.send(
      new ListFindingsCommand({
        findingCriteria: { criterion: { 'classificationDetails.jobId': { eq: [jobId ?? ''] } } },
      }),
    );
    expect(some.findingIds).toHaveLength(1);
  });

  it('echoes the request: type, scope, sampling and identifier selection', async () => {
    const { macie } = setup();
    const request = jobRequest({ samplingPercentage: 100 });
    const { jobId } = await macie.send(new CreateClassificationJobCommand(request));
    const job = await macie.send(new DescribeClassificationJobCommand({ jobId }));
    expect(job).toMatchObject({
      clientToken: 'incident-1',
      jobType: 'ONE_TIME',
      name: 's3-exposure incident-1',
      s3JobDefinition: request.s3JobDefinition,
      samplingPercentage: 100,
      managedDataIdentifierSelector: 'RECOMMENDED',
    });
  });

  it.each(['PAUSED', 'USER_PAUSED', 'IDLE', 'CANCELLED'] as const)(
    'ends in %s when the world says so, without findings',
    async (outcome) => {
      const { macie, clock } = setup({ scanSeconds: 5, jobOutcome: outcome });
      const { jobId } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
      clock.advance(5_000);
      expect((await macie.send(new DescribeClassificationJobCommand({ jobId }))).jobStatus).toBe(outcome);
      expect((await macie.send(new ListFindingsCommand({}))).findingIds).toEqual([]);
    },
  );

  it('never ends when the world says RUNNING', async () => {
    const { macie, clock } = setup({ scanSeconds: 5, jobOutcome: 'RUNNING' });
    const { jobId } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    clock.advance(7 * 24 * 3600 * 1000);
    expect((await macie.send(new DescribeClassificationJobCommand({ jobId }))).jobStatus).toBe('RUNNING');
  });

  it('reports a run with errors as lastRunErrorStatus ERROR once it is over', async () => {
    const { macie, clock } = setup({ scanSeconds: 5, lastRunError: true });
    const { jobId } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    expect((await macie.send(new DescribeClassificationJobCommand({ jobId }))).lastRunErrorStatus).toEqual({
      code: 'NONE',
    });
    clock.advance(5_000);
    const done = await macie.send(new DescribeClassificationJobCommand({ jobId }));
    expect(done).toMatchObject({ jobStatus: 'COMPLETE', lastRunErrorStatus: { code: 'ERROR' } });
  });

  it('cancels a running job (UpdateClassificationJob CANCELLED), which then publishes nothing', async () => {
    const { macie, clock } = setup({ scanSeconds: 60 });
    const { jobId } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    await macie.send(new UpdateClassificationJobCommand({ jobId, jobStatus: 'CANCELLED' }));
    clock.advance(120_000);
    expect((await macie.send(new DescribeClassificationJobCommand({ jobId }))).jobStatus).toBe('CANCELLED');
    expect((await macie.send(new ListFindingsCommand({}))).findingIds).toEqual([]);
  });

  it('refuses to cancel a job that is complete', async () => {
    const { macie } = setup();
    const { jobId } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    const error = await rejection(
      macie.send(new UpdateClassificationJobCommand({ jobId, jobStatus: 'CANCELLED' })),
    );
    expect(error).toBeInstanceOf(ValidationException);
  });

  it('pauses and resumes a job, with the pause in userPausedDetails', async () => {
    const { macie, clock } = setup({ scanSeconds: 60 });
    const { jobId } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    await macie.send(new UpdateClassificationJobCommand({ jobId, jobStatus: 'USER_PAUSED' }));
    const paused = await macie.send(new DescribeClassificationJobCommand({ jobId }));
    expect(paused.jobStatus).toBe('USER_PAUSED');
    expect(paused.userPausedDetails?.jobPausedAt).toEqual(new Date(START));
    expect(paused.userPausedDetails?.jobExpiresAt).toEqual(
      new Date(Date.parse(START) + 30 * 24 * 3600 * 1000),
    );
    clock.advance(120_000);
    expect((await macie.send(new DescribeClassificationJobCommand({ jobId }))).jobStatus).toBe('USER_PAUSED');
    await macie.send(new UpdateClassificationJobCommand({ jobId, jobStatus: 'RUNNING' }));
    expect((await macie.send(new DescribeClassificationJobCommand({ jobId }))).jobStatus).toBe('COMPLETE');
  });

  it('answers ResourceNotFoundException for a job that does not exist', async () => {
    const { macie } = setup();
    const error = await rejection(macie.send(new DescribeClassificationJobCommand({ jobId: 'f00' })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });
});

describe('Macie findings', () => {
  async function completedJob(request = jobRequest(), macieSettings: WorldInput['macie'] = {}) {
    const { sandbox, macie } = setup(macieSettings);
    const { jobId } = await macie.send(new CreateClassificationJobCommand(request));
    const list = await macie.send(
      new ListFindingsCommand({
        findingCriteria: { criterion: { 'classificationDetails.jobId': { eq: [jobId ?? ''] } } },
      }),
    );
    const ids = list.findingIds ?? [];
    const { findings = [] } =
      ids.length > 0 ? await macie.send(new GetFindingsCommand({ findingIds: ids })) : {};
    return { sandbox, macie, jobId, findings };
  }

  it('reports card numbers in the export as a High financial finding, with counts and never the numbers', async () => {
    const { jobId, findings } = await completedJob();
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding).toMatchObject({
      type: 'SensitiveData:S3Object/Financial',
      category: 'CLASSIFICATION',
      severity: { description: 'High', score: 3 },
      classificationDetails: {
        jobId,
        originType: 'SENSITIVE_DATA_DISCOVERY_JOB',
        result: {
          sizeClassified: Buffer.byteLength(CUSTOMERS),
          sensitiveData: [
            {
              category: 'FINANCIAL_INFORMATION',
              detections: [{ type: 'CREDIT_CARD_NUMBER', count: 2 }],
              totalCount: 2,
            },
          ],
        },
      },
      resourcesAffected: {
        s3Bucket: { name: BUCKET },
        s3Object: { key: 'exports/customers.csv', size: Buffer.byteLength(CUSTOMERS), extension: 'csv' },
      },
    });
    expect(finding?.createdAt).toBeInstanceOf(Date);
    const text = JSON.stringify(finding);
    expect(text).not.toContain(VISA);
    expect(text).not.toContain(MASTERCARD);
    expect(text).not.toContain('ada@example.com');
  });

  it('types an object with several categories SensitiveData:S3Object/Multiple', async () => {
    const custom = { 'cdi-email': { name: 'E-mail address', regex: '[\\w.+-]+@[\\w-]+\\.[\\w.]+' } };
    const { findings } = await completedJob(jobRequest({ customDataIdentifierIds: ['cdi-email'] }), {
      customDataIdentifiers: custom,
    });
    expect(findings[0]).toMatchObject({
      type: 'SensitiveData:S3Object/Multiple',
      classificationDetails: {
        result: {
          customDataIdentifiers: {
            detections: [
              {
                arn: `arn:aws:macie2:us-east-1:${ACCOUNT}:custom-data-identifier/cdi-email`,
                name: 'E-mail address',
                count: 2,
              },
            ],
            totalCount: 2,
          },
        },
      },
    });
  });

  it('finds nothing in an object given only a size, yet counts its bytes as scanned', async () => {
    const request = jobRequest();
    request.s3JobDefinition = {
      bucketDefinitions: [{ accountId: ACCOUNT, buckets: [BUCKET] }],
      scoping: {
        includes: {
          and: [{ simpleScopeTerm: { key: 'OBJECT_KEY', comparator: 'STARTS_WITH', values: ['archive/'] } }],
        },
      },
    };
    const { sandbox, jobId, findings } = await completedJob(request);
    expect(findings).toEqual([]);
    expect(jobOf(sandbox, jobId).scan.bytes).toBe(5_000_000);
  });

  it('finds credentials and cards across a whole bucket, one finding per object', async () => {
    const { findings } = await completedJob(bucketWide());
    expect(findings.map((f) => [f.resourcesAffected?.s3Object?.key, f.type]).sort()).toEqual([
      ['config/deploy.env', 'SensitiveData:S3Object/Credentials'],
      ['exports/customers.csv', 'SensitiveData:S3Object/Financial'],
    ]);
  });

  it('uses only the managed identifiers the job selects', async () => {
    const { findings } = await completedJob(
      bucketWide({
        managedDataIdentifierSelector: 'EXCLUDE',
        managedDataIdentifierIds: ['CREDIT_CARD_NUMBER'],
      }),
    );
    expect(findings.map((f) => f.resourcesAffected?.s3Object?.key)).toEqual(['config/deploy.env']);
  });

  it('GetFindings refuses more than 50 ids and leaves unknown ids out', async () => {
    const { macie, findings } = await completedJob();
    const ids = Array.from({ length: 51 }, (_, i) => `id-${i}`);
    expect(await rejection(macie.send(new GetFindingsCommand({ findingIds: ids })))).toBeInstanceOf(
      ValidationException,
    );
    const known = findings[0]?.id ?? '';
    const answer = await macie.send(new GetFindingsCommand({ findingIds: [known, 'unknown'] }));
    expect(answer.findings?.map((f) => f.id)).toEqual([known]);
  });

  it('keeps jobs and findings in the world, which stays a valid world file', async () => {
    const { sandbox } = await completedJob();
    expect(worldIssues(sandbox.toJSON())).toEqual([]);
    expect(sandbox.toJSON().macie?.findings).toHaveLength(1);
  });
});

describe('Macie not enabled, and injected faults', () => {
  const calls: ReadonlyArray<readonly [string, (client: Macie2Client) => Promise<unknown>]> = [
    ['GetMacieSession', (client) => client.send(new GetMacieSessionCommand({}))],
    ['CreateClassificationJob', (client) => client.send(new CreateClassificationJobCommand(jobRequest()))],
    [
      'DescribeClassificationJob',
      (client) => client.send(new DescribeClassificationJobCommand({ jobId: 'x' })),
    ],
    [
      'UpdateClassificationJob',
      (client) => client.send(new UpdateClassificationJobCommand({ jobId: 'x', jobStatus: 'CANCELLED' })),
    ],
    ['ListFindings', (client) => client.send(new ListFindingsCommand({}))],
    ['GetFindings', (client) => client.send(new GetFindingsCommand({ findingIds: ['x'] }))],
  ];

  it.each(calls)('answers %s with AccessDeniedException "Macie is not enabled"', async (_name, call) => {
    const world = { ...macieWorld(), services: { macie: 'disabled' as const } };
    const { macie } = setup({}, world);
    const error = await rejection(call(macie));
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error.message).toBe('Macie is not enabled');
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it('answers GetMacieSession with ENABLED where Macie is on', async () => {
    const { macie } = setup();
    expect((await macie.send(new GetMacieSessionCommand({}))).status).toBe('ENABLED');
  });

  it('retries an injected ThrottlingException, as the SDK does', async () => {
    const { sandbox, macie } = setup();
    sandbox.injectFault({
      service: 'macie2',
      operation: 'DescribeClassificationJob',
      error: 'ThrottlingException',
      times: 2,
    });
    const { jobId } = await macie.send(new CreateClassificationJobCommand(jobRequest()));
    const answer = await macie.send(new DescribeClassificationJobCommand({ jobId }));
    expect(answer.$metadata.attempts).toBe(3);
    expect(sandbox.calls.filter((c) => c.service === 'macie2').map((c) => c.outcome)).toEqual([
      'ok',
      'ThrottlingException',
      'ThrottlingException',
      'ok',
    ]);
  });

  it('answers an injected ServiceQuotaExceededException with 402, not retried, and starts no job', async () => {
    const { sandbox, macie } = setup();
    sandbox.injectFault({
      service: 'macie2',
      operation: 'CreateClassificationJob',
      error: 'ServiceQuotaExceededException',
    });
    const error = await rejection(macie.send(new CreateClassificationJobCommand(jobRequest())));
    expect(error).toBeInstanceOf(ServiceQuotaExceededException);
    expect(error.$metadata?.httpStatusCode).toBe(402);
    expect(error.$metadata?.attempts).toBe(1);
    expect(sandbox.world.macie?.jobs).toEqual([]);
  });

  it('answers an injected AccessDeniedException', async () => {
    const { sandbox, macie } = setup();
    sandbox.injectFault({
      service: 'macie2',
      operation: 'CreateClassificationJob',
      error: 'AccessDeniedException',
    });
    expect(await rejection(macie.send(new CreateClassificationJobCommand(jobRequest())))).toBeInstanceOf(
      AccessDeniedException,
    );
  });
});
