import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../../local/paths.js';
import { ensureTable, startLocalDynamo } from '../../../local/store/local-dynamo.js';
import { InvalidInputError } from '../../../tasks/shared/errors.js';
import { DynamoIncidentStore } from '../../../tasks/shared/store/dynamo-incident-store.js';
import { makeIncident } from '../../support/incidents.js';
import { openState, tempStateDir } from '../../workflow/support.js';

const run = promisify(execFile);

async function storeIn(dir: string) {
  const dynamo = await startLocalDynamo({ dir });
  await ensureTable(dynamo.client, 'incidents');
  return { dynamo, store: new DynamoIncidentStore({ client: dynamo.client, tableName: 'incidents' }) };
}

describe('the local DynamoDB in a state folder', () => {
  it('keeps what was written when the folder is opened again', async () => {
    const dir = await tempStateDir();
    const first = await storeIn(dir);
    await first.store.putIncident(makeIncident());
    await first.dynamo.close();

    const second = await storeIn(dir);
    try {
      expect((await second.store.listIncidents()).map((i) => i.incidentId)).toEqual([
        makeIncident().incidentId,
      ]);
    } finally {
      await second.dynamo.close();
    }
  });

  it('refuses a second opening of the same folder in this process, clearly', async () => {
    const dir = await tempStateDir();
    const first = await startLocalDynamo({ dir });
    try {
      await expect(startLocalDynamo({ dir })).rejects.toMatchObject({
        name: 'StateFolderInUseError',
        message: expect.stringMatching(/state folder .* is in use/),
      });
    } finally {
      await first.close();
    }
  });

  it('refuses another process on the same folder with "state folder in use", and its store stays readable', async () => {
    const dir = await tempStateDir();
    const held = await openState(dir);
    await held.save();
    await held.store.putIncident(makeIncident());
    const cli = projectPath('bin', 's3-exposure.js');

    const other = run(process.execPath, [cli, 'exceptions', 'list', '--state', dir]);

    await expect(other).rejects.toMatchObject({ stderr: expect.stringMatching(/state folder .* is in use/) });
    expect(await held.store.listIncidents()).toHaveLength(1);
  });

  it('refuses a lock file that holds no process id, naming it, and leaves it in place', async () => {
    const dir = await tempStateDir();
    const lock = join(dir, 'store.lock');
    await writeFile(lock, 'garbage\n');

    const opening = startLocalDynamo({ dir });

    await expect(opening).rejects.toBeInstanceOf(InvalidInputError);
    await expect(opening).rejects.toThrow(`${lock} is not a lock this tool wrote`);
    expect(await readFile(lock, 'utf8')).toBe('garbage\n');
  });

  it('refuses a lock file that stays empty, as one its writer never finished', async () => {
    const dir = await tempStateDir();
    await writeFile(join(dir, 'store.lock'), '');

    await expect(startLocalDynamo({ dir })).rejects.toThrow(/store\.lock is not a lock this tool wrote/);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = await tempStateDir();
    // A pid far above any live process: the lock's owner is gone.
    await writeFile(join(dir, 'store.lock'), '4194000\n');

    const dynamo = await startLocalDynamo({ dir });
    await dynamo.close();
  });
});
