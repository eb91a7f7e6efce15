import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, defaultWorld } from '../../local/defaults.js';
import { simulate } from '../../local/simulate.js';
import { InvalidInputError } from '../../tasks/shared/errors.js';
import { tempStateDir } from '../workflow/support.js';

describe('simulate', () => {
  it('refuses an event that is not a JSON object before it opens the state folder', async () => {
    const stateDir = join(await tempStateDir(), 'state');

    const run = simulate({ world: defaultWorld(), events: [null], config: defaultConfig(), stateDir });

    await expect(run).rejects.toBeInstanceOf(InvalidInputError);
    await expect(run).rejects.toThrow('events: event 0 is null, not a JSON object');
    expect(existsSync(stateDir)).toBe(false);
  });
});
