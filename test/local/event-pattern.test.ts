import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ACL_CARRYING_UPLOADS,
  ACL_HEADERS,
  EXPOSURE_EVENT_PATTERN,
  matchesPattern,
} from '../../local/event-pattern.js';
import { EXPOSURE_EVENT_NAMES, parseExposureEvent } from '../../tasks/normalize-event/parse-event.js';
import { InvalidInputError } from '../../tasks/shared/errors.js';

const EVENTS_DIR = new URL('../../events/', import.meta.url);
const MALFORMED_DIR = new URL('malformed/', EVENTS_DIR);

function readJson(name: string, dir: URL = EVENTS_DIR): unknown {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
}

const SAMPLE_FILES = readdirSync(EVENTS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
  .map((entry) => entry.name)
  .sort();

/** Request parameters of a sample, or an empty object when it has none. */
function requestParametersOf(raw: unknown): Record<string, unknown> {
  const detail = (raw as { detail?: { requestParameters?: unknown } }).detail;
  const params = detail?.requestParameters;
  return typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
}

function eventNameOf(raw: unknown): string {
  return String((raw as { detail?: { eventName?: unknown } }).detail?.eventName);
}

/** The rule's filter said independently: an upload without an ACL header is dropped. */
function isUploadWithoutAclHeader(raw: unknown): boolean {
  const uploads: readonly string[] = ACL_CARRYING_UPLOADS;
  if (!uploads.includes(eventNameOf(raw))) return false;
  const params = requestParametersOf(raw);
  return !ACL_HEADERS.some((header) => Object.hasOwn(params, header));
}

describe('EXPOSURE_EVENT_PATTERN against events/', () => {
  // The normalizer parses an upload without an ACL header as an exposure trigger (publicAcl
  // false); the rule drops it before it gets there. Everything else the normalizer finds
  // relevant (exposures and failed calls alike) starts an execution.
  it.each(SAMPLE_FILES)(
    'matches %s when the parser finds it relevant, unless an upload has no ACL header',
    (file) => {
      const raw = readJson(file);
      const relevant = parseExposureEvent(raw).kind !== 'irrelevant';
      expect(matchesPattern(EXPOSURE_EVENT_PATTERN, raw)).toBe(relevant && !isUploadWithoutAclHeader(raw));
    },
  );

  it('drops GetObject and the plain upload, and nothing else', () => {
    const dropped = SAMPLE_FILES.filter((file) => !matchesPattern(EXPOSURE_EVENT_PATTERN, readJson(file)));
    expect(dropped).toEqual(['irrelevant-get-object.json', 'put-object-no-acl.json']);
  });

  it.each([
    ['not-cloudtrail.json', false],
    ['missing-detail.json', false],
    ['missing-bucket.json', true],
    ['bad-time.json', true],
  ])('on malformed/%s answers %s (the rule sees names, the parser judges shape)', (file, expected) => {
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, readJson(file, MALFORMED_DIR))).toBe(expected);
  });

  it('drops only the failed calls when errorCode must not exist', () => {
    const successOnly = {
      ...EXPOSURE_EVENT_PATTERN,
      detail: { ...EXPOSURE_EVENT_PATTERN.detail, errorCode: [{ exists: false }] },
    };
    const dropped = SAMPLE_FILES.filter(
      (file) =>
        matchesPattern(EXPOSURE_EVENT_PATTERN, readJson(file)) &&
        !matchesPattern(successOnly, readJson(file)),
    );
    expect(dropped).toEqual(['failed-put-bucket-policy.json', 'failed-put-object-public-read.json']);
  });

  it('names every exposure event once: the uploads under the ACL filter, the others by name alone', () => {
    const [byName, uploads] = EXPOSURE_EVENT_PATTERN.detail.$or;
    expect(uploads.eventName).toEqual([...ACL_CARRYING_UPLOADS]);
    expect([...byName.eventName, ...uploads.eventName].sort()).toEqual([...EXPOSURE_EVENT_NAMES].sort());
    expect(uploads.requestParameters.$or.map((alternative) => Object.keys(alternative))).toEqual(
      ACL_HEADERS.map((header) => [header]),
    );
  });

  it('cannot be edited', () => {
    expect(Object.isFrozen(EXPOSURE_EVENT_PATTERN)).toBe(true);
    expect(Object.isFrozen(EXPOSURE_EVENT_PATTERN.detail.$or[0].eventName)).toBe(true);
    expect(Object.isFrozen(EXPOSURE_EVENT_PATTERN.detail.$or[1].requestParameters.$or[0])).toBe(true);
  });
});

describe('EXPOSURE_EVENT_PATTERN on uploads', () => {
  /** An upload event built from the public PutObject sample, with the given name, headers and error. */
  function upload(eventName: string, headers: Record<string, unknown>, errorCode?: string): unknown {
    const raw = readJson('put-object-public-read.json') as { detail: Record<string, unknown> };
    raw.detail.eventName = eventName;
    raw.detail.requestParameters = { bucketName: 'acme-public-assets', key: 'img/logo.png', ...headers };
    if (errorCode !== undefined) raw.detail.errorCode = errorCode;
    return raw;
  }

  it.each(ACL_CARRYING_UPLOADS)(
    '%s matches with any ACL header, as a string or an array of strings',
    (name) => {
      for (const header of ACL_HEADERS) {
        expect(matchesPattern(EXPOSURE_EVENT_PATTERN, upload(name, { [header]: 'uri=x' })), header).toBe(
          true,
        );
        expect(matchesPattern(EXPOSURE_EVENT_PATTERN, upload(name, { [header]: ['uri=x'] })), header).toBe(
          true,
        );
      }
    },
  );

  it.each(ACL_CARRYING_UPLOADS)('%s does not match without one, failed or not', (name) => {
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, upload(name, {}))).toBe(false);
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, upload(name, {}, 'AccessDenied'))).toBe(false);
    expect(
      matchesPattern(EXPOSURE_EVENT_PATTERN, upload(name, { 'x-amz-copy-source': 'a/b', uploads: '' })),
    ).toBe(false);
  });

  it.each(ACL_CARRYING_UPLOADS)('%s with an ACL header matches when it failed (an attempt)', (name) => {
    expect(
      matchesPattern(EXPOSURE_EVENT_PATTERN, upload(name, { 'x-amz-acl': 'public-read' }, 'AccessDenied')),
    ).toBe(true);
  });

  it('does not match an upload with no requestParameters at all', () => {
    const raw = upload('PutObject', {}) as { detail: Record<string, unknown> };
    delete raw.detail.requestParameters;
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, raw)).toBe(false);
  });

  it('matches header names exactly, as EventBridge does (CloudTrail logs them in lower case)', () => {
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, upload('PutObject', { 'X-Amz-Acl': 'public-read' }))).toBe(
      false,
    );
  });

  it('matches the other object calls by name alone: PutObjectAcl and CompleteMultipartUpload', () => {
    expect(
      matchesPattern(EXPOSURE_EVENT_PATTERN, upload('CompleteMultipartUpload', { uploadId: 'u1' })),
    ).toBe(true);
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, upload('PutObjectAcl', { acl: '' }))).toBe(true);
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, upload('GetObject', { 'x-amz-acl': 'public-read' }))).toBe(
      false,
    );
  });
});

describe('matchesPattern operators', () => {
  const event = {
    source: 'aws.s3',
    count: 3,
    missing: null,
    tags: ['red', 'blue'],
    none: [],
    detail: {
      eventName: 'PutBucketAcl',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/deployer/s' },
      resources: [
        { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::acme-reports/a.csv' },
        { type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-reports' },
      ],
    },
  };

  it('matches an exact string among alternatives', () => {
    expect(matchesPattern({ source: ['aws.ec2', 'aws.s3'] }, event)).toBe(true);
    expect(matchesPattern({ source: ['aws.ec2'] }, event)).toBe(false);
  });

  it('compares exactly, without case folding or type coercion', () => {
    expect(matchesPattern({ source: ['AWS.S3'] }, event)).toBe(false);
    expect(matchesPattern({ count: [3] }, event)).toBe(true);
    expect(matchesPattern({ count: ['3'] }, event)).toBe(false);
    expect(matchesPattern({ missing: [null] }, event)).toBe(true);
  });

  it('matches an array value when any element matches', () => {
    expect(matchesPattern({ tags: ['blue'] }, event)).toBe(true);
    expect(matchesPattern({ tags: ['green'] }, event)).toBe(false);
  });

  it('needs every named field to match, and ignores fields it does not name', () => {
    expect(matchesPattern({ source: ['aws.s3'], detail: { eventName: ['PutBucketAcl'] } }, event)).toBe(true);
    expect(matchesPattern({ source: ['aws.s3'], detail: { eventName: ['PutBucketPolicy'] } }, event)).toBe(
      false,
    );
    expect(matchesPattern({}, event)).toBe(true);
  });

  it('descends into nested objects', () => {
    expect(matchesPattern({ detail: { userIdentity: { type: ['AssumedRole'] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { userIdentity: { type: ['IAMUser'] } } }, event)).toBe(false);
    expect(matchesPattern({ detail: { nothing: { type: ['AssumedRole'] } } }, event)).toBe(false);
    expect(matchesPattern({ source: { nested: ['x'] } }, event)).toBe(false);
  });

  it('matches a nested pattern against any element of an array of objects', () => {
    expect(matchesPattern({ detail: { resources: { type: ['AWS::S3::Bucket'] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { resources: { type: ['AWS::S3::AccessPoint'] } } }, event)).toBe(false);
  });

  it('does not match a missing field with a plain value', () => {
    expect(matchesPattern({ detail: { errorCode: ['AccessDenied'] } }, event)).toBe(false);
  });

  it('exists: false matches a field without leaf values: absent, an object, or an empty array', () => {
    expect(matchesPattern({ detail: { errorCode: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { eventName: [{ exists: false }] } }, event)).toBe(false);
    expect(matchesPattern({ missing: [{ exists: false }] }, event)).toBe(false);
    expect(matchesPattern({ tags: [{ exists: false }] }, event)).toBe(false);
    // "Exists matching only works on leaf nodes": an intermediate node counts as absent.
    expect(matchesPattern({ detail: { userIdentity: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ none: [{ exists: false }] }, event)).toBe(true);
  });

  it('exists: false matches under an intermediate node that is absent', () => {
    expect(
      matchesPattern({ detail: { requestParameters: { 'x-amz-acl': [{ exists: false }] } } }, event),
    ).toBe(true);
    expect(
      matchesPattern({ detail: { requestParameters: { 'x-amz-acl': [{ exists: true }] } } }, event),
    ).toBe(false);
  });

  it('exists: true matches a present leaf, alone or in an array, not an absent field or an object', () => {
    expect(matchesPattern({ detail: { eventName: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ tags: [{ exists: true }] }, event)).toBe(true);
    expect(matchesPattern({ missing: [{ exists: true }] }, event)).toBe(true);
    expect(matchesPattern({ detail: { errorCode: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { userIdentity: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { resources: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ none: [{ exists: true }] }, event)).toBe(false);
  });

  it('$or matches when any sub-pattern matches, together with the fields beside it', () => {
    const either = (a: string, b: string) => ({
      source: ['aws.s3'],
      detail: { $or: [{ eventName: [a] }, { userIdentity: { type: [b] } }] },
    });
    expect(matchesPattern(either('PutBucketAcl', 'IAMUser'), event)).toBe(true);
    expect(matchesPattern(either('PutBucketPolicy', 'AssumedRole'), event)).toBe(true);
    expect(matchesPattern(either('PutBucketPolicy', 'IAMUser'), event)).toBe(false);
    expect(matchesPattern({ ...either('PutBucketAcl', 'IAMUser'), source: ['aws.ec2'] }, event)).toBe(false);
  });

  it('$or works at the top level, nested in a sub-pattern, and beside another $or', () => {
    expect(matchesPattern({ $or: [{ source: ['aws.ec2'] }, { count: [3] }] }, event)).toBe(true);
    expect(
      matchesPattern(
        {
          $or: [
            { source: ['aws.ec2'] },
            {
              detail: {
                eventName: ['PutBucketAcl'],
                $or: [{ errorCode: ['X'] }, { userIdentity: { type: ['AssumedRole'] } }],
              },
            },
          ],
        },
        event,
      ),
    ).toBe(true);
    expect(
      matchesPattern(
        {
          $or: [{ source: ['aws.s3'] }, { count: [4] }],
          detail: { $or: [{ eventName: ['X'] }, { errorCode: ['Y'] }] },
        },
        event,
      ),
    ).toBe(false);
  });

  it('$or inside a nested pattern over an array of objects needs one element to match one sub-pattern', () => {
    const resources = (type: string, arn: string) => ({
      detail: { resources: { $or: [{ type: [type] }, { ARN: [arn] }] } },
    });
    expect(matchesPattern(resources('AWS::S3::AccessPoint', 'arn:aws:s3:::acme-reports'), event)).toBe(true);
    expect(matchesPattern(resources('AWS::S3::AccessPoint', 'arn:aws:s3:::other'), event)).toBe(false);
  });

  it('throws on a $or EventBridge would not read as one', () => {
    expect(() => matchesPattern({ $or: [{ source: ['aws.s3'] }] }, event)).toThrow(
      /at least two sub-patterns/,
    );
    expect(() => matchesPattern({ $or: { source: ['aws.s3'] } }, event)).toThrow(/at least two sub-patterns/);
    expect(() => matchesPattern({ detail: { $or: [{ eventName: ['a'] }, 'b'] } }, event)).toThrow(
      /pattern field "detail": "\$or" must be/,
    );
    expect(() => matchesPattern({ $or: [{ source: ['aws.s3'] }, {}] }, event)).toThrow(/it is empty/);
    expect(() => matchesPattern({ $or: [{ source: ['aws.s3'] }, { prefix: 'a' }] }, event)).toThrow(
      /"prefix" is a matcher/,
    );
    expect(() => matchesPattern({ source: [{ $or: ['aws.s3'] }] }, event)).toThrow(/"\$or" is not supported/);
  });

  it('prefix matches the start of a string value', () => {
    expect(matchesPattern({ detail: { eventName: [{ prefix: 'PutBucket' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { eventName: [{ prefix: 'Delete' }] } }, event)).toBe(false);
    expect(matchesPattern({ count: [{ prefix: '3' }] }, event)).toBe(false);
    expect(matchesPattern({ detail: { errorCode: [{ prefix: '' }] } }, event)).toBe(false);
  });

  it('anything-but excludes a value or a list of values', () => {
    expect(matchesPattern({ source: [{ 'anything-but': 'aws.ec2' }] }, event)).toBe(true);
    expect(matchesPattern({ source: [{ 'anything-but': 'aws.s3' }] }, event)).toBe(false);
    expect(matchesPattern({ source: [{ 'anything-but': ['aws.ec2', 'aws.s3'] }] }, event)).toBe(false);
    expect(matchesPattern({ count: [{ 'anything-but': [4, 5] }] }, event)).toBe(true);
  });

  it('anything-but excludes a prefix', () => {
    expect(matchesPattern({ detail: { eventName: [{ 'anything-but': { prefix: 'Get' } }] } }, event)).toBe(
      true,
    );
    expect(matchesPattern({ detail: { eventName: [{ 'anything-but': { prefix: 'Put' } }] } }, event)).toBe(
      false,
    );
  });

  it('anything-but does not match an absent field', () => {
    expect(matchesPattern({ detail: { errorCode: [{ 'anything-but': 'AccessDenied' }] } }, event)).toBe(
      false,
    );
  });

  it('combines operators and values as alternatives', () => {
    expect(matchesPattern({ detail: { errorCode: ['AccessDenied', { exists: false }] } }, event)).toBe(true);
  });

  it('throws on an unsupported operator rather than not matching', () => {
    expect(() => matchesPattern({ source: [{ suffix: '.s3' }] }, event)).toThrow(InvalidInputError);
    expect(() => matchesPattern({ source: [{ suffix: '.s3' }] }, event)).toThrow(/"suffix" is not supported/);
  });

  it('throws on a malformed pattern', () => {
    expect(() => matchesPattern({ source: 'aws.s3' }, event)).toThrow(/must be an array/);
    expect(() => matchesPattern(['aws.s3'], event)).toThrow(InvalidInputError);
    expect(() => matchesPattern({ source: [{ exists: 'yes' }] }, event)).toThrow(
      /"exists" takes true or false/,
    );
    expect(() => matchesPattern({ source: [{ prefix: 'a', exists: true }] }, event)).toThrow(/2 keys/);
  });

  it('does not match a non-object event', () => {
    expect(matchesPattern({ source: ['aws.s3'] }, 'aws.s3')).toBe(false);
    expect(matchesPattern({ source: ['aws.s3'] }, null)).toBe(false);
  });
});
