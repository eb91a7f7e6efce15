import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../../../tasks/shared/contracts.js';
import {
  ASFF_LIMITS,
  buildExposureFinding,
  buildFailureFinding,
  type ExposureFindingContext,
  failureFindingIdFor,
  findingIdFor,
  productArnFor,
  scrubSecrets,
  summarizeCause,
  truncateText,
  workflowNote,
} from '../../../../tasks/shared/findings/finding.js';
import {
  ACCOUNT,
  closedIncident,
  DANA,
  EXECUTION_ID,
  INCIDENT_BUCKET,
  INCIDENT_ID,
  makeIncident,
  makeVerdict,
  objectAclVerdict,
  objectKeys,
  PREVIOUS_INCIDENT_ID,
  REGION,
  TERRAFORM,
} from '../../../support/incidents.js';

const NOW = new Date('2025-03-04T10:15:08.250Z');
const CTX: ExposureFindingContext = {
  partition: 'aws',
  executionId: EXECUTION_ID,
  consoleBaseUrl: 'https://console.aws.amazon.com',
  now: NOW,
};

/** ASFF's required top-level attributes for BatchImportFindings. */
const REQUIRED = [
  'SchemaVersion',
  'Id',
  'ProductArn',
  'GeneratorId',
  'AwsAccountId',
  'Types',
  'CreatedAt',
  'UpdatedAt',
  'Severity',
  'Title',
  'Description',
  'Resources',
] as const;

/** Every string anywhere in a value, keys included. */
function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [k, ...allStrings(v)]);
  return [];
}

function expectWithinLimits(finding: AwsSecurityFinding): void {
  expect(finding.Id?.length).toBeLessThanOrEqual(ASFF_LIMITS.id);
  expect(finding.Title?.length).toBeLessThanOrEqual(ASFF_LIMITS.title);
  expect(finding.Description?.length).toBeLessThanOrEqual(ASFF_LIMITS.description);
  expect(finding.Resources?.length).toBeLessThanOrEqual(ASFF_LIMITS.resources);
  const fields = Object.entries(finding.ProductFields ?? {});
  expect(fields.length).toBeLessThanOrEqual(ASFF_LIMITS.productFields);
  for (const [key, value] of fields) {
    expect(key.length).toBeLessThanOrEqual(ASFF_LIMITS.productFieldKey);
    expect(typeof value).toBe('string');
    expect(value.length).toBeGreaterThan(0);
    expect(value.length).toBeLessThanOrEqual(ASFF_LIMITS.productFieldValue);
  }
}

describe('buildExposureFinding', () => {
  it('has every attribute BatchImportFindings requires', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    for (const field of REQUIRED) expect(finding[field], field).toBeTruthy();
    expect(finding.SchemaVersion).toBe('2018-10-08');
    expect(finding.GeneratorId).toBe('s3-exposure-responder');
    expect(finding.AwsAccountId).toBe(ACCOUNT);
    expect(finding.ProductArn).toBe(`arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`);
    expect(finding.Resources?.length).toBeGreaterThan(0);
  });

  it('keeps the same Id for the same incident across executions, events and time', () => {
    const first = buildExposureFinding(makeIncident(), CTX);
    const later = buildExposureFinding(makeIncident({ events: [], response: 'NOTIFIED' }), {
      ...CTX,
      executionId: `${EXECUTION_ID}-joined`,
      now: new Date('2025-03-05T00:00:00Z'),
    });
    expect(later.Id).toBe(first.Id);
    expect(first.Id).toBe(`s3-exposure-responder/${REGION}/${ACCOUNT}/${INCIDENT_ID}`);
    expect(findingIdFor(makeIncident({ incidentId: 'inc-other' }))).not.toBe(first.Id);
  });

  it('uses the account default product in the partition and Region given', () => {
    expect(productArnFor('aws-cn', 'cn-north-1', ACCOUNT)).toBe(
      `arn:aws-cn:securityhub:cn-north-1:${ACCOUNT}:product/${ACCOUNT}/default`,
    );
  });

  it.each(SEVERITIES)('maps verdict severity %s to the label and the provider fields', (severity) => {
    const finding = buildExposureFinding(makeIncident({ verdict: makeVerdict({ severity }) }), CTX);
    expect(finding.Severity).toEqual({ Label: severity, Original: severity });
    expect(finding.FindingProviderFields?.Severity).toEqual({ Label: severity, Original: severity });
  });

  it('writes the same Data Exposure types at the top level and in the provider fields', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    expect(finding.Types).toEqual(['Effects/Data Exposure/S3 Public Access']);
    expect(finding.FindingProviderFields?.Types).toEqual(finding.Types);
  });

  it('adds the write type for public write', () => {
    const verdict = makeVerdict({
      vectors: [{ source: 'bucketPolicy', access: 'write', principal: '*', statementHash: 'abc', key: null }],
      severity: 'CRITICAL',
    });
    const finding = buildExposureFinding(makeIncident({ verdict }), CTX);
    expect(finding.Types).toEqual([
      'Effects/Data Exposure/S3 Public Access',
      'Effects/Data Exposure/S3 Public Write Access',
    ]);
    for (const type of finding.Types ?? []) expect(type.startsWith('Effects/Data Exposure/')).toBe(true);
  });

  it('takes its times from the incident, and UpdatedAt from now', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    expect(finding.CreatedAt).toBe('2025-03-04T10:15:06.412Z');
    expect(finding.FirstObservedAt).toBe('2025-03-04T10:15:02Z');
    expect(finding.LastObservedAt).toBe('2025-03-04T10:15:09Z');
    expect(finding.UpdatedAt).toBe(NOW.toISOString());
  });

  it('names the bucket with its owner and Block Public Access flags', () => {
    const finding = buildExposureFinding(makeIncident(), {
      ...CTX,
      publicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      },
    });
    expect(finding.Resources).toEqual([
      {
        Type: 'AwsS3Bucket',
        Id: `arn:aws:s3:::${INCIDENT_BUCKET}`,
        Region: REGION,
        Partition: 'aws',
        Details: {
          AwsS3Bucket: {
            Name: INCIDENT_BUCKET,
            OwnerAccountId: ACCOUNT,
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              IgnorePublicAcls: false,
              BlockPublicPolicy: false,
              RestrictPublicBuckets: false,
            },
          },
        },
      },
    ]);
    expect(finding.ProductFields?.publicAccessBlock).toBe('on: BlockPublicAcls');
  });

  it('reports no Block Public Access flags when they are not known', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    expect(finding.Resources?.[0]?.Details?.AwsS3Bucket?.PublicAccessBlockConfiguration).toBeUndefined();
  });

  it('lists objects public through their ACLs as AwsS3Object resources', () => {
    const keys = ['reports/q3.csv', 'reports/q4.csv'];
    const finding = buildExposureFinding(makeIncident({ verdict: objectAclVerdict(keys) }), CTX);
    expect(finding.Resources?.slice(1)).toEqual(
      keys.map((key) => ({
        Type: 'AwsS3Object',
        Id: `arn:aws:s3:::${INCIDENT_BUCKET}/${key}`,
        Region: REGION,
        Partition: 'aws',
      })),
    );
  });

  it('caps the resources at 32 and says how many objects were left out', () => {
    const finding = buildExposureFinding(makeIncident({ verdict: objectAclVerdict(objectKeys(40)) }), CTX);
    expect(finding.Resources).toHaveLength(32);
    expect(finding.Resources?.filter((r) => r.Type === 'AwsS3Object')).toHaveLength(31);
    expect(finding.Description).toContain('9 more exposed object(s) are not listed as resources');
    expect(finding.ProductFields?.objectResourcesOmitted).toBe('9');
    expect(finding.ProductFields?.exposedObjectCount).toBe('40');
  });

  it('explains why the bucket is public and what would fix it', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    expect(finding.Title).toBe(`S3 bucket ${INCIDENT_BUCKET}: public read`);
    expect(finding.Description).toContain('is public read [HIGH]');
    expect(finding.Description).toContain('Why: statement 0 ("PublicRead") allows public access');
    expect(finding.Description).toContain('What would fix it: remove policy statement 0 ("PublicRead")');
    expect(finding.Description).toContain('Response: approve mode (the default mode is approve); PENDING.');
    expect(finding.Remediation?.Recommendation?.Text).toContain('remove policy statement 0');
  });

  it('stays within the ASFF limits with 1,000 exposed objects', () => {
    const finding = buildExposureFinding(makeIncident({ verdict: objectAclVerdict(objectKeys(1000)) }), CTX);
    expectWithinLimits(finding);
    expect(finding.Description).toMatch(/Why: .*\(and \d+ more\)\./);
    expect(finding.Description).toMatch(/What would fix it: .*\(and \d+ more\)\./);
    // The count of left-out resources survives the shortening of the lists.
    expect(finding.Description).toContain('969 more exposed object(s)');
  });

  it('stays within the limits when a single reason is longer than the whole description', () => {
    const verdict = makeVerdict({
      reasons: [{ source: 'bucketPolicy', statement: 0, sid: null, why: 'x '.repeat(2000) }],
    });
    expectWithinLimits(buildExposureFinding(makeIncident({ verdict }), CTX));
  });

  it('links to the execution in the Step Functions console and to the bucket', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    expect(finding.SourceUrl).toBe(
      `https://console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${EXECUTION_ID}`,
    );
    expect(finding.ProductFields?.bucketConsoleUrl).toBe(
      `https://console.aws.amazon.com/s3/buckets/${INCIDENT_BUCKET}?region=${REGION}&tab=permissions`,
    );
  });

  it('carries the incident facts as string product fields', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    expect(finding.ProductFields).toMatchObject({
      incidentId: INCIDENT_ID,
      fingerprint: makeIncident().verdict.fingerprint,
      executionId: EXECUTION_ID,
      mode: 'approve',
      response: 'PENDING',
      effectivelyPublic: 'true',
      publicWrite: 'false',
      eventCount: '2',
      eventNames: 'PutBucketPolicy, PutObjectAcl',
    });
    expectWithinLimits(finding);
  });

  it('is ACTIVE and NEW while the incident is open', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    expect(finding.RecordState).toBe('ACTIVE');
    expect(finding.Workflow).toEqual({ Status: 'NEW' });
  });

  it('is ARCHIVED once the incident is closed, and says why it closed', () => {
    const finding = buildExposureFinding(closedIncident('BUCKET_DELETED'), CTX);
    expect(finding.RecordState).toBe('ARCHIVED');
    expect(finding.Title).toBe(`S3 bucket ${INCIDENT_BUCKET}: exposure ended (bucket deleted)`);
    expect(finding.ProductFields?.closedReason).toBe('BUCKET_DELETED');
  });

  it('keeps the Data Exposure type when the closing reading is private', () => {
    const incident = closedIncident('NOT_PUBLIC', {
      verdict: makeVerdict({
        vectors: [],
        reasons: [],
        mitigations: [],
        policyPublic: false,
        severity: 'INFORMATIONAL',
      }),
    });
    expect(buildExposureFinding(incident, CTX).Types).toEqual(['Effects/Data Exposure/S3 Public Access']);
  });

  it('names the previous incident of the bucket as a related finding', () => {
    const finding = buildExposureFinding(makeIncident({ previousIncidentId: PREVIOUS_INCIDENT_ID }), CTX);
    const related = [
      {
        ProductArn: productArnFor('aws', REGION, ACCOUNT),
        Id: `s3-exposure-responder/${REGION}/${ACCOUNT}/${PREVIOUS_INCIDENT_ID}`,
      },
    ];
    expect(finding.RelatedFindings).toEqual(related);
    expect(finding.FindingProviderFields?.RelatedFindings).toEqual(related);
  });

  it('has no related findings for a first episode', () => {
    const finding = buildExposureFinding(makeIncident(), CTX);
    expect(finding.RelatedFindings).toBeUndefined();
    expect(finding.FindingProviderFields?.RelatedFindings).toBeUndefined();
  });

  it('contains no tokens or signed links', () => {
    const incident = makeIncident({
      verdict: objectAclVerdict(objectKeys(3)),
      decision: { decision: 'APPROVED', by: 'sam.lee@acme.example', taskToken: 'AAAA'.repeat(100) },
      remediation: {
        plan: [],
        backup: { location: 's3://evidence/x?X-Amz-Signature=abc' },
        before: { summary: 'public read', vectors: [] },
        after: null,
        addressed: [],
        verified: false,
        rollback: null,
      },
    });
    const finding = buildExposureFinding(incident, CTX);
    const strings = allStrings(finding);
    expect(strings.filter((s) => /token|X-Amz-Signature/i.test(s))).toEqual([]);
    expect(finding.ProductFields?.actors).toBe(`${DANA}, ${TERRAFORM}`);
  });

  it('removes signed links and task tokens that hide in outside text', () => {
    const why = `see https://evil.example/a?X-Amz-Signature=deadbeef and ${'AQB'.repeat(100)}`;
    const verdict = makeVerdict({ reasons: [{ source: 'bucketPolicy', statement: 0, sid: 'S', why }] });
    const text = allStrings(buildExposureFinding(makeIncident({ verdict }), CTX)).join('\n');
    expect(text).not.toContain('deadbeef');
    expect(text).not.toContain('AQBAQBAQB');
    expect(text).toContain('[link removed]');
  });

  it('leaves no part of a task token that the description limit cuts in half', () => {
    const token = 'AQB'.repeat(100);
    // Slide the token along the reason so that, somewhere, the shortening cuts through it.
    const leaks = Array.from({ length: 250 }, (_, words) => words).filter((words) => {
      const why = `${'word '.repeat(words)}${token} end`;
      const verdict = makeVerdict({ reasons: [{ source: 'bucketPolicy', statement: 0, sid: 'S', why }] });
      return allStrings(buildExposureFinding(makeIncident({ verdict }), CTX)).some((s) =>
        s.includes('AQBAQBAQB'),
      );
    });
    expect(leaks).toEqual([]);
  });
});

describe('buildFailureFinding', () => {
  const input = {
    partition: 'aws',
    region: REGION,
    accountId: ACCOUNT,
    executionId: EXECUTION_ID,
    bucket: INCIDENT_BUCKET,
    error: {
      Error: 'BucketNotFoundError',
      Cause: JSON.stringify({
        errorType: 'BucketNotFoundError',
        errorMessage: 'bucket acme-reports does not exist in the expected account',
        trace: [
          'BucketNotFoundError: bucket acme-reports',
          '    at readBucketSnapshot (/var/task/index.mjs:1:2)',
        ],
      }),
    },
    now: NOW,
    consoleBaseUrl: 'https://console.aws.amazon.com',
  };

  it('has every required attribute, HIGH severity and a failure type', () => {
    const finding = buildFailureFinding(input);
    for (const field of REQUIRED) expect(finding[field], field).toBeTruthy();
    expect(finding.Severity).toEqual({ Label: 'HIGH', Original: 'HIGH' });
    expect(finding.FindingProviderFields?.Severity?.Label).toBe('HIGH');
    expect(finding.Types).toEqual([
      'Software and Configuration Checks/S3 Exposure Responder/Execution Failed',
    ]);
    expect(finding.FindingProviderFields?.Types).toEqual(finding.Types);
    expectWithinLimits(finding);
  });

  it('keeps one Id per execution', () => {
    const again = buildFailureFinding({ ...input, now: new Date('2025-03-04T12:00:00Z') });
    expect(again.Id).toBe(buildFailureFinding(input).Id);
    expect(again.Id).toBe(failureFindingIdFor(REGION, ACCOUNT, EXECUTION_ID));
    expect(buildFailureFinding({ ...input, executionId: `${EXECUTION_ID}-2` }).Id).not.toBe(again.Id);
  });

  it('names the failure and the short cause, without the trace', () => {
    const finding = buildFailureFinding(input);
    expect(finding.Title).toBe('S3 exposure responder failed: BucketNotFoundError (bucket acme-reports)');
    expect(finding.Description).toContain(
      'failed with BucketNotFoundError: bucket acme-reports does not exist in the expected account',
    );
    expect(finding.Description).not.toContain('readBucketSnapshot');
    expect(finding.SourceUrl).toContain(`#/v2/executions/details/${EXECUTION_ID}`);
  });

  it('never dumps a whole event given as the cause', () => {
    const event = { detail: { requestParameters: { bucketPolicy: 'x'.repeat(50_000) } } };
    const finding = buildFailureFinding({ ...input, error: { Error: 'States.Runtime', Cause: event } });
    expect(finding.Description).not.toContain('xxxx');
    expect(finding.Description).toContain('no message given');
    expectWithinLimits(finding);
  });

  it('shortens a long cause', () => {
    const finding = buildFailureFinding({ ...input, error: { Error: 'Error', Cause: 'word '.repeat(5000) } });
    expectWithinLimits(finding);
    expect(finding.Description).toContain('…');
  });

  it('names only the execution when the bucket is not known', () => {
    const finding = buildFailureFinding({ ...input, bucket: null });
    expect(finding.Resources).toEqual([
      {
        Type: 'Other',
        Id: EXECUTION_ID,
        Region: REGION,
        Partition: 'aws',
        Details: { Other: { error: 'BucketNotFoundError' } },
      },
    ]);
    expect(finding.Description).toContain('The bucket could not be determined.');
  });
});

describe('workflowNote', () => {
  it('names the incident and keeps the text within 512 characters', () => {
    const note = workflowNote(
      makeIncident(),
      `APPROVED by sam.lee@acme.example: ${'because '.repeat(100)}`,
      'approver',
    );
    expect(note.Text.startsWith(`Incident ${INCIDENT_ID}: APPROVED by sam.lee@acme.example`)).toBe(true);
    expect(note.Text.length).toBeLessThanOrEqual(512);
    expect(note.UpdatedBy).toBe('approver');
  });
});

describe('text helpers', () => {
  it('truncates at a word boundary with an ellipsis', () => {
    expect(truncateText('the quick brown fox jumps', 18)).toBe('the quick brown…');
    expect(truncateText('short', 18)).toBe('short');
  });

  it('never splits a surrogate pair', () => {
    const text = truncateText(`${'a'.repeat(8)}😀😀😀`, 10);
    expect(text.length).toBeLessThanOrEqual(10);
    expect(text).toBe('aaaaaaaa…');
  });

  it('summarises a Lambda error cause to its message', () => {
    expect(summarizeCause('{"errorType":"X","errorMessage":"boom\\n  at y","trace":["t"]}')).toBe(
      'boom at y',
    );
    expect(summarizeCause(undefined)).toBe('no cause given');
    expect(summarizeCause('{not json')).toBe('{not json');
  });

  it('leaves ordinary console links alone', () => {
    const link = `https://console.aws.amazon.com/s3/buckets/${INCIDENT_BUCKET}?region=${REGION}&tab=permissions`;
    expect(scrubSecrets(link)).toBe(link);
    expect(scrubSecrets('https://x.example/approve?id=1&sig=abc')).toBe('[link removed]');
  });
});
