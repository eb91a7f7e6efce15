import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPOSURE_EVENT_PATTERN, matchesPattern } from '../../local/event-pattern.js';
import { ofType, synthesize } from './support.js';

const EVENTS_DIR = new URL('../../events/', import.meta.url);
const SAMPLES = readdirSync(EVENTS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
  .map((entry) => entry.name)
  .sort();

function sample(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, EVENTS_DIR), 'utf8'));
}

/** What the deployed rule does with each sample in events/; a new sample needs an entry here. */
const EXPECTED: Record<string, 'starts' | 'dropped'> = {
  'complete-multipart-upload.json': 'starts', // no ACL header: the ACL came with CreateMultipartUpload
  'copy-object-public.json': 'starts', // x-amz-acl
  'create-bucket-public.json': 'starts', // CreateBucket matches by name, headers or not
  'create-multipart-upload-public.json': 'starts', // x-amz-grant-read
  'delete-account-public-access-block.json': 'starts',
  'delete-bucket-ownership-controls.json': 'starts',
  'delete-bucket-policy.json': 'starts',
  'delete-bucket-public-access-block.json': 'starts',
  'delete-bucket-website.json': 'starts',
  'empty-bucket-name.json': 'starts',
  'failed-put-bucket-policy.json': 'starts', // failed: recorded as an attempt
  'failed-put-object-public-read.json': 'starts', // failed upload with x-amz-acl: an attempt
  'irrelevant-get-object.json': 'dropped', // not an exposure call
  'put-account-public-access-block.json': 'starts',
  'put-bucket-acl-body.json': 'starts',
  'put-bucket-acl-canned.json': 'starts',
  'put-bucket-acl-grant-header.json': 'starts',
  'put-bucket-ownership-controls.json': 'starts',
  'put-bucket-policy-public.json': 'starts',
  'put-bucket-policy-string.json': 'starts',
  'put-bucket-public-access-block.json': 'starts',
  'put-bucket-website.json': 'starts',
  'put-object-acl-body.json': 'starts',
  'put-object-acl-grant-header.json': 'starts',
  'put-object-grant-header.json': 'starts', // x-amz-grant-read as an array of strings
  'put-object-no-acl.json': 'dropped', // an upload without any ACL header
  'put-object-public-read.json': 'starts', // x-amz-acl as a string
  'self-triggered-put-bucket-policy.json': 'starts', // our own call: the workflow, not the rule, spots it
};

/**
 * How many patterns EventBridge expands a pattern with `$or` into: the product, over the fields
 * of an object, of the sum over each `$or`'s sub-patterns.
 */
function combinations(pattern: unknown): number {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) return 1;
  return Object.entries(pattern).reduce(
    (product, [key, value]) =>
      product *
      (key === '$or' && Array.isArray(value)
        ? value.reduce((sum: number, sub: unknown) => sum + combinations(sub), 0)
        : combinations(value)),
    1,
  );
}

let pattern: unknown;

beforeAll(() => {
  const rules = Object.values(ofType(synthesize().resources, 'AWS::Events::Rule'));
  expect(rules).toHaveLength(1);
  pattern = rules[0]?.Properties?.EventPattern;
});

describe('the synthesized EventBridge rule', () => {
  it('is the repo pattern, taken from the template', () => {
    expect(pattern).toEqual(JSON.parse(JSON.stringify(EXPOSURE_EVENT_PATTERN)));
  });

  it('has an expectation for every sample in events/, and a sample for every expectation', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(SAMPLES);
  });

  it.each(SAMPLES)('events/%s: starts an execution or is dropped as expected', (name) => {
    const expected = EXPECTED[name];
    if (expected === undefined) throw new Error(`no expectation for ${name}`);
    expect(matchesPattern(pattern, sample(name))).toBe(expected === 'starts');
  });

  it('stays within EventBridge limits: 2,048 characters, and few $or combinations', () => {
    // The "Event pattern size" quota (EventBridge quotas): 2,048 characters by default.
    expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(2048);
    // Bucket-level calls by name, plus the three uploads with one of six ACL headers.
    expect(combinations(pattern)).toBe(7);
  });
});
