import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPOSURE_EVENT_PATTERN, matchesPattern } from '../../local/event-pattern.js';
import { parseExposureEvent } from '../../tasks/normalize-event/parse-event.js';
import { ofType, synthesize } from './support.js';

const EVENTS_DIR = new URL('../../events/', import.meta.url);
const SAMPLES = readdirSync(EVENTS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
  .map((entry) => entry.name)
  .sort();

function sample(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, EVENTS_DIR), 'utf8'));
}

/** A sample must start an execution when the normalizer finds it relevant (an exposure or an attempt). */
function mustStart(name: string): boolean {
  return parseExposureEvent(sample(name)).kind !== 'irrelevant';
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

  it.each(SAMPLES)(
    'starts an execution for events/%s exactly when the normalizer finds it relevant',
    (name) => {
      expect(matchesPattern(pattern, sample(name))).toBe(mustStart(name));
    },
  );

  it('starts executions for failed and self-triggered calls, and for nothing irrelevant', () => {
    const started = SAMPLES.filter((name) => matchesPattern(pattern, sample(name)));
    expect(started).toContain('failed-put-bucket-policy.json');
    expect(started).toContain('self-triggered-put-bucket-policy.json');
    expect(started).not.toContain('irrelevant-get-object.json');
    expect(SAMPLES.filter((name) => !mustStart(name))).toEqual(['irrelevant-get-object.json']);
  });
});
