/**
 * The key ring that signs approval links locally: APPROVAL_KEYS or APPROVAL_KEYS_FILE when set
 * (as in AWS, where APPROVAL_KEYS_SECRET names the Secrets Manager secret), else one generated
 * for the state folder and kept there (readable by its owner only), so links stay valid across
 * commands on the same folder.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateKeyRing,
  type KeyRing,
  loadKeyRing,
  parseKeyRing,
  serializeKeyRing,
} from '../../tasks/shared/approval/links.js';

const KEYS_FILE = 'approval-keys.json';

export async function localKeyRing(stateDir: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyRing> {
  if (env.APPROVAL_KEYS || env.APPROVAL_KEYS_FILE) {
    return loadKeyRing({ env, readFile: (path) => readFile(path, 'utf8') });
  }
  const file = join(stateDir, KEYS_FILE);
  try {
    return parseKeyRing(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const ring = generateKeyRing();
  await writeFile(file, serializeKeyRing(ring), { encoding: 'utf8', mode: 0o600 });
  return ring;
}
