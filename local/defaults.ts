import { readFileSync } from 'node:fs';
import { parseConfig } from '../tasks/shared/config.js';
import type { ResponderConfig } from '../tasks/shared/contracts.js';
import { parseOrThrow } from '../tasks/shared/validation.js';
import { parseJson } from './input.js';
import { projectPath } from './paths.js';
import { type World, WorldSchema } from './sandbox/world.js';

/** The configuration local commands use without --config: samples/config.json. */
export function defaultConfig(): ResponderConfig {
  return parseConfig(JSON.parse(readFileSync(projectPath('samples', 'config.json'), 'utf8')));
}

/** The sample account the demo starts from: samples/world.json. */
export function defaultWorld(): World {
  return parseWorld(readFileSync(projectPath('samples', 'world.json'), 'utf8'), 'samples/world.json');
}

/** Validates a world document, naming the field that is wrong. */
export function parseWorld(text: string, what: string): World {
  return parseOrThrow(WorldSchema, parseJson(text, what), what);
}
