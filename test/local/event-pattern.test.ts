import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPOSURE_EVENT_PATTERN, matchesPattern } from '../../local/event-pattern.js';
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

describe('EXPOSURE_EVENT_PATTERN against events/', () => {
  it.each(SAMPLE_FILES)('matches %s exactly when the parser finds it relevant', (file) => {
    const raw = readJson(file);
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, raw)).toBe(parseExposureEvent(raw).kind !== 'irrelevant');
  });

  it('matches every exposure sample, failed and self-triggered calls included', () => {
    const matched = SAMPLE_FILES.filter((file) => matchesPattern(EXPOSURE_EVENT_PATTERN, readJson(file)));
    expect(matched).toEqual(SAMPLE_FILES.filter((file) => file !== 'irrelevant-get-object.json'));
    expect(matched).toContain('failed-put-bucket-policy.json');
    expect(matched).toContain('self-triggered-put-bucket-policy.json');
  });

  it('does not match GetObject', () => {
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, readJson('irrelevant-get-object.json'))).toBe(false);
  });

  it.each([
    ['not-cloudtrail.json', false],
    ['missing-detail.json', false],
    ['missing-bucket.json', true],
    ['bad-time.json', true],
  ])('on malformed/%s answers %s (the rule sees names, the parser judges shape)', (file, expected) => {
    expect(matchesPattern(EXPOSURE_EVENT_PATTERN, readJson(file, MALFORMED_DIR))).toBe(expected);
  });

  it('drops only the failed call when errorCode must not exist', () => {
    const successOnly = {
      ...EXPOSURE_EVENT_PATTERN,
      detail: { ...EXPOSURE_EVENT_PATTERN.detail, errorCode: [{ exists: false }] },
    };
    const dropped = SAMPLE_FILES.filter(
      (file) =>
        matchesPattern(EXPOSURE_EVENT_PATTERN, readJson(file)) &&
        !matchesPattern(successOnly, readJson(file)),
    );
    expect(dropped).toEqual(['failed-put-bucket-policy.json']);
  });

  it('lists exactly the exposure event names, and cannot be edited', () => {
    expect(EXPOSURE_EVENT_PATTERN.detail.eventName).toEqual([...EXPOSURE_EVENT_NAMES]);
    expect(Object.isFrozen(EXPOSURE_EVENT_PATTERN.detail.eventName)).toBe(true);
    expect(Object.isFrozen(EXPOSURE_EVENT_PATTERN)).toBe(true);
  });
});

describe('matchesPattern operators', () => {
  const event = {
    source: 'aws.s3',
    count: 3,
    missing: null,
    tags: ['red', 'blue'],
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

  it('exists: false matches only an absent field', () => {
    expect(matchesPattern({ detail: { errorCode: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { eventName: [{ exists: false }] } }, event)).toBe(false);
    expect(matchesPattern({ missing: [{ exists: false }] }, event)).toBe(false);
  });

  it('exists: true matches a present leaf, not an absent field or an object', () => {
    expect(matchesPattern({ detail: { eventName: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { errorCode: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { userIdentity: [{ exists: true }] } }, event)).toBe(false);
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
