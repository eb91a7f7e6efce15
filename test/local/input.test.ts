import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkEvents, MAX_EVENT_DEPTH, nestingDepth } from '../../local/input.js';
import { InvalidInputError } from '../../tasks/shared/errors.js';

const EVENTS_DIR = new URL('../../events/', import.meta.url);

/** `{ "a": { "a": … } }`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

/** What `checkEvents` threw; fails the test when it did not throw. */
function refusal(events: readonly unknown[]): InvalidInputError {
  try {
    checkEvents(events, 'events.json');
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected the events to be refused');
}

describe('nestingDepth', () => {
  it('counts each level of objects and arrays, and nothing for a scalar', () => {
    expect(nestingDepth('text', 10)).toBe(0);
    expect(nestingDepth({}, 10)).toBe(1);
    expect(nestingDepth({ a: [1, { b: null }] }, 10)).toBe(3);
  });

  it('stops one level past the limit, even for an input far too deep for recursion', () => {
    expect(nestingDepth(nested(200_000), 100)).toBe(101);
  });
});

describe('checkEvents', () => {
  it('accepts every sample event, malformed ones included (the workflow reports those)', () => {
    const samples = [EVENTS_DIR, new URL('malformed/', EVENTS_DIR)].flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .map((name): unknown => JSON.parse(readFileSync(new URL(name, dir), 'utf8'))),
    );

    expect(() => checkEvents(samples, 'events/')).not.toThrow();
  });

  it(`accepts an event nested exactly ${MAX_EVENT_DEPTH} levels deep`, () => {
    expect(() => checkEvents([nested(MAX_EVENT_DEPTH)], 'events.json')).not.toThrow();
  });

  it('refuses an event nested thousands of levels deep, naming the file and its index', () => {
    const error = refusal([{ detail: {} }, nested(3_000)]);

    expect(error.message).toBe(`events.json: event 1 nests deeper than ${MAX_EVENT_DEPTH} levels`);
  });

  it('refuses events that are not JSON objects, naming each by its index', () => {
    const error = refusal([{ detail: {} }, null, 1, 'text', [{ detail: {} }]]);

    expect(error.issues).toEqual([
      'event 1 is null, not a JSON object',
      'event 2 is a number, not a JSON object',
      'event 3 is a string, not a JSON object',
      'event 4 is an array, not a JSON object',
    ]);
  });
});
