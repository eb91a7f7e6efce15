import { describe, expect, it } from 'vitest';
import { classifyExposure } from '../../../tasks/classify-exposure/classify.js';
import { parseConfig } from '../../../tasks/shared/config.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type ExposureVerdict,
} from '../../../tasks/shared/contracts.js';
import {
  coverage,
  type ExceptionEntryInput,
  type ExceptionSettings,
  exceptionFromTag,
} from '../../../tasks/shared/exceptions.js';
import {
  ALL_USERS,
  acl,
  BUCKET,
  groupGrant,
  PUBLIC_READ,
  policy,
  privateSnapshot,
} from '../../support/snapshots.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const TAG_KEY = 's3-exposure-exception';
const TAGS_OFF: ExceptionSettings = { byTag: false, tagKey: TAG_KEY };
const TAGS_ON: ExceptionSettings = { byTag: true, tagKey: TAG_KEY };
const GOOD_TAG = 'owner=web-team;reason=public website assets;expiry=2099-12-31';

/** The real classifier's verdict on a private bucket changed as given. */
function verdictOf(overrides: Partial<BucketAccessSnapshotInput>): ExposureVerdict {
  return classifyExposure(BucketAccessSnapshotSchema.parse(privateSnapshot(overrides)));
}

/** Public read through the policy: one way in. */
const READ_ONLY = verdictOf({ bucketPolicy: JSON.stringify(policy(PUBLIC_READ)) });
/** The same public read, and AllUsers may WRITE through the bucket ACL: two ways in. */
const READ_AND_WRITE = verdictOf({
  bucketPolicy: JSON.stringify(policy(PUBLIC_READ)),
  bucketAcl: acl(groupGrant(ALL_USERS, 'WRITE')),
});
/** Only AllUsers WRITE through the bucket ACL. */
const WRITE_ONLY = verdictOf({ bucketAcl: acl(groupGrant(ALL_USERS, 'WRITE')) });

/** A well-formed registry entry for the public read of {@link READ_ONLY}, good until 2099. */
function entry(overrides: Partial<ExceptionEntryInput> = {}): ExceptionEntryInput {
  return {
    id: 'exc-website',
    bucket: BUCKET,
    vectors: READ_ONLY.vectors,
    owner: 'web-team',
    reason: 'public website assets',
    expiry: '2099-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function check(
  verdict: ExposureVerdict,
  entries: readonly unknown[],
  options: { tags?: Record<string, string>; settings?: ExceptionSettings } = {},
) {
  return coverage({
    bucket: BUCKET,
    verdict,
    entries,
    now: NOW,
    settings: options.settings ?? TAGS_OFF,
    ...(options.tags ? { tags: options.tags } : {}),
  });
}

describe('coverage', () => {
  it('covers an exposure when an unexpired entry names every way in', () => {
    const result = check(READ_ONLY, [entry()]);

    expect(result.covering).toMatchObject({ id: 'exc-website', source: 'registry' });
  });

  it('says why it is covered: the id, owner, reason and expiry of the exception', () => {
    const result = check(READ_ONLY, [entry()]);

    expect(result.why).toBe(
      'covered by exception exc-website (owner web-team: public website assets; until 2099-01-01T00:00:00.000Z)',
    );
  });

  it('does not honour an expired exception, and says when it expired', () => {
    const result = check(READ_ONLY, [entry({ expiry: '2025-01-01T00:00:00.000Z' })]);

    expect(result.covering).toBeNull();
    expect(result.why).toBe('exception exc-website expired on 2025-01-01T00:00:00.000Z');
  });

  it('treats an exception expiring at this very moment as expired', () => {
    const result = check(READ_ONLY, [entry({ expiry: NOW.toISOString() })]);

    expect(result.covering).toBeNull();
  });

  it('does not cover a wider exposure: a write way in beyond the excepted read one', () => {
    const result = check(READ_AND_WRITE, [entry()]);

    expect(result.covering).toBeNull();
    expect(result.why).toBe('exception exc-website covers 1 of the 2 ways in: the exposure is wider');
  });

  it('ignores an exception for another bucket', () => {
    const result = check(READ_ONLY, [entry({ bucket: 'another-bucket' })]);

    expect(result.covering).toBeNull();
    expect(result.why).toBe('no exception for this bucket');
  });

  it('says there is no exception when the registry is empty', () => {
    expect(check(READ_ONLY, [])).toEqual({
      covering: null,
      why: 'no exception for this bucket',
      malformed: [],
    });
  });

  it('takes the covering entry among others that do not cover', () => {
    const result = check(READ_AND_WRITE, [
      entry({ id: 'exc-old', expiry: '2024-01-01T00:00:00.000Z' }),
      entry({ id: 'exc-read' }),
      entry({ id: 'exc-all', vectors: READ_AND_WRITE.vectors }),
    ]);

    expect(result.covering?.id).toBe('exc-all');
  });

  it('reports a malformed entry with its index, its id and the field that is wrong', () => {
    const result = check(READ_ONLY, [entry({ id: 'exc-ownerless', owner: '' })]);

    expect(result.malformed).toEqual([
      { index: 0, id: 'exc-ownerless', problem: expect.stringMatching(/^owner: /) },
    ]);
  });

  it('reports a malformed entry without an id with a null id', () => {
    const { id: _id, ...noId } = entry();

    const result = check(READ_ONLY, [entry({ id: 'exc-fine' }), noId]);

    expect(result.malformed).toEqual([{ index: 1, id: null, problem: expect.stringMatching(/^id: /) }]);
  });

  it('reports an entry that is not an object at all', () => {
    const result = check(READ_ONLY, ['public please']);

    expect(result.malformed).toEqual([{ index: 0, id: null, problem: expect.any(String) }]);
  });

  it('never honours a malformed entry, even one that names every way in', () => {
    const result = check(READ_ONLY, [entry({ expiry: '2099-01-01' })]);

    expect(result.covering).toBeNull();
    expect(result.why).toBe('no exception for this bucket');
    expect(result.malformed).toEqual([
      { index: 0, id: 'exc-website', problem: expect.stringMatching(/^expiry: /) },
    ]);
  });

  it('does not read the bucket tag by default, even when the tag is there', () => {
    const { exceptions } = parseConfig({ recipients: { email: ['soc@example.com'] } });

    const result = check(READ_ONLY, [], { tags: { [exceptions.tagKey]: GOOD_TAG }, settings: exceptions });

    expect(result.covering).toBeNull();
    expect(result.why).toBe('no exception for this bucket');
  });

  it('with tag exceptions on, a well-formed tag covers a read-only exposure, marked as from the tag', () => {
    const result = check(READ_ONLY, [], { tags: { [TAG_KEY]: GOOD_TAG }, settings: TAGS_ON });

    expect(result.covering).toMatchObject({
      id: `tag:${BUCKET}`,
      source: 'tag',
      owner: 'web-team',
      reason: 'public website assets',
      expiry: '2099-12-31T00:00:00.000Z',
    });
    expect(result.why).toBe(
      `covered by exception tag:${BUCKET} (from the bucket tag) (owner web-team: public website assets; until 2099-12-31T00:00:00.000Z)`,
    );
  });

  it('with tag exceptions on, a tag never covers a public write way in', () => {
    const result = check(READ_AND_WRITE, [], { tags: { [TAG_KEY]: GOOD_TAG }, settings: TAGS_ON });

    expect(result.covering).toBeNull();
    expect(result.why).toBe(`exception tag:${BUCKET} covers 1 of the 2 ways in: the exposure is wider`);
  });

  it('with tag exceptions on, does not honour a tag whose date has passed', () => {
    const tags = { [TAG_KEY]: 'owner=web-team;reason=public website assets;expiry=2025-01-01' };

    const result = check(READ_ONLY, [], { tags, settings: TAGS_ON });

    expect(result.covering).toBeNull();
    expect(result.why).toBe(`exception tag:${BUCKET} expired on 2025-01-01T00:00:00.000Z`);
  });
});

describe('exceptionFromTag', () => {
  it('is off when tag exceptions are off', () => {
    expect(exceptionFromTag(BUCKET, { [TAG_KEY]: GOOD_TAG }, READ_ONLY, TAGS_OFF)).toBeNull();
  });

  it('reads the tag named by the settings only', () => {
    expect(exceptionFromTag(BUCKET, { 'another-tag': GOOD_TAG }, READ_ONLY, TAGS_ON)).toBeNull();
  });

  it('names only the read ways in of the exposure', () => {
    const tagged = exceptionFromTag(BUCKET, { [TAG_KEY]: GOOD_TAG }, READ_AND_WRITE, TAGS_ON);

    expect(tagged?.vectors).toEqual(READ_AND_WRITE.vectors.filter((v) => v.access === 'read'));
  });

  it('gives nothing for a write-only exposure', () => {
    expect(exceptionFromTag(BUCKET, { [TAG_KEY]: GOOD_TAG }, WRITE_ONLY, TAGS_ON)).toBeNull();
  });

  it('keeps an "=" inside a value', () => {
    const tags = { [TAG_KEY]: 'owner=web-team;reason=a=b;expiry=2099-12-31' };

    expect(exceptionFromTag(BUCKET, tags, READ_ONLY, TAGS_ON)?.reason).toBe('a=b');
  });

  it.each([
    ['no owner', 'reason=public website assets;expiry=2099-12-31'],
    ['no reason', 'owner=web-team;expiry=2099-12-31'],
    ['no expiry', 'owner=web-team;reason=public website assets'],
    ['an empty owner', 'owner=;reason=public website assets;expiry=2099-12-31'],
    ['an expiry that is not a date', 'owner=web-team;reason=public website assets;expiry=soon'],
    ['a month that does not exist', 'owner=web-team;reason=public website assets;expiry=2099-13-01'],
    ['a day that does not exist', 'owner=web-team;reason=public website assets;expiry=2099-02-30'],
    ['a bare number', 'owner=web-team;reason=public website assets;expiry=99999'],
  ])('gives nothing for a tag with %s', (_case, value) => {
    expect(exceptionFromTag(BUCKET, { [TAG_KEY]: value }, READ_ONLY, TAGS_ON)).toBeNull();
  });
});
