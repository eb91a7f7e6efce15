import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { classifyExposure } from '../../tasks/classify-exposure/classify.js';
import { readBucketSnapshot } from '../../tasks/classify-exposure/read-snapshot.js';
import { BucketAccessSnapshotSchema, type Vector } from '../../tasks/shared/contracts.js';
import { InvalidInputError } from '../../tasks/shared/errors.js';
import { type ExceptionEntry, ExceptionEntrySchema } from '../../tasks/shared/exceptions.js';
import { exceptionItemId } from '../../tasks/shared/store/dynamo-incident-store.js';
import { describeIssues } from '../../tasks/shared/validation.js';
import { defaultConfig, defaultWorld } from '../defaults.js';
import { LocalEnvironment } from '../environment.js';

/** Opens the state folder for one command, and closes it (saving) whatever happens. */
async function withState<T>(state: string, work: (environment: LocalEnvironment) => Promise<T>): Promise<T> {
  if (!LocalEnvironment.holdsState(state)) {
    throw new InvalidInputError(`${state} holds no state folder (run simulate or demo with --state first)`);
  }
  const environment = await LocalEnvironment.open({
    stateDir: state,
    world: defaultWorld(),
    config: defaultConfig(),
  });
  try {
    return await work(environment);
  } finally {
    await environment.close();
  }
}

/** `exceptions list`: every entry, with malformed and expired ones said to be so. */
export async function listExceptions(
  options: { state: string; json?: boolean },
  write: (t: string) => void,
): Promise<void> {
  const entries = await withState(options.state, (environment) => environment.store.listExceptions());
  const now = Date.now();
  const rows = entries.map((raw, index) => {
    const parsed = ExceptionEntrySchema.safeParse(raw);
    if (!parsed.success)
      return {
        index,
        status: 'MALFORMED (not honoured)',
        problem: describeIssues(parsed.error).join('; '),
        entry: raw,
      };
    const expired = Date.parse(parsed.data.expiry) <= now;
    return { index, status: expired ? 'EXPIRED' : 'ACTIVE', entry: parsed.data };
  });
  if (options.json) {
    write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) write('no exceptions\n');
  for (const row of rows) {
    const e = row.entry as Partial<ExceptionEntry>;
    write(
      `${row.status.padEnd(8)} ${e.id ?? `#${row.index}`}  ${e.bucket ?? '?'}  until ${e.expiry ?? '?'}  owner ${e.owner ?? '?'}: ${e.reason ?? ''}\n`,
    );
    for (const v of e.vectors ?? [])
      write(`         ${v.source} ${v.access} ${v.principal}${v.key ? ` ${v.key}` : ''}\n`);
    if ('problem' in row) write(`         problem: ${row.problem}\n`);
  }
}

export interface AddExceptionOptions {
  readonly state: string;
  readonly bucket: string;
  readonly owner?: string;
  readonly reason: string;
  readonly expires?: string;
  readonly days?: number;
  readonly incident?: string;
  readonly access?: 'read' | 'write' | 'all';
  readonly id?: string;
}

/** The ways in to except: an incident's, or the bucket's as it is now. */
async function vectorsFor(environment: LocalEnvironment, options: AddExceptionOptions): Promise<Vector[]> {
  if (options.incident) {
    const incident = await environment.store.getIncident(options.incident);
    if (!incident || incident.bucket !== options.bucket) {
      throw new InvalidInputError(`no incident ${options.incident} on bucket ${options.bucket}`);
    }
    return incident.verdict.vectors;
  }
  const { accountId } = environment.sandbox.world;
  const raw = await readBucketSnapshot(environment.sandbox.clients(), { accountId, bucket: options.bucket });
  return classifyExposure(BucketAccessSnapshotSchema.parse(raw)).vectors;
}

/** `exceptions add`: registers an exception for the named ways in, until a date. */
export async function addException(options: AddExceptionOptions, write: (t: string) => void): Promise<void> {
  await withState(options.state, (environment) => addTo(environment, options, write));
}

/**
 * Refuses an id the registry already holds: the store keys entries by id, so adding it again
 * would silently replace someone's exception. Checked before the bucket is read, so a refused
 * command leaves nothing behind, not even a call in the sandbox's log.
 */
async function refuseTakenId(environment: LocalEnvironment, id: string): Promise<void> {
  const entries = await environment.store.listExceptions();
  if (entries.some((entry) => exceptionItemId(entry) === id)) {
    throw new InvalidInputError(
      `--id ${id}: the registry already holds an exception ${id} (remove it first, or choose another id)`,
    );
  }
}

async function addTo(
  environment: LocalEnvironment,
  options: AddExceptionOptions,
  write: (t: string) => void,
): Promise<void> {
  const id = options.id ?? `exc-${randomUUID().slice(0, 8)}`;
  await refuseTakenId(environment, id);
  const access = options.access ?? 'all';
  const vectors = (await vectorsFor(environment, options)).filter(
    (v) => access === 'all' || v.access === access,
  );
  if (vectors.length === 0) {
    throw new InvalidInputError(
      `bucket ${options.bucket} has no ${access === 'all' ? '' : `${access} `}public way in to except`,
    );
  }
  const expiry = options.expires
    ? new Date(options.expires)
    : new Date(Date.now() + (options.days ?? 30) * 86_400_000);
  if (Number.isNaN(expiry.getTime()))
    throw new InvalidInputError(`--expires ${options.expires} is not a date`);
  const owner = options.owner ?? userInfo().username;
  const entry = ExceptionEntrySchema.parse({
    id,
    bucket: options.bucket,
    vectors,
    owner,
    reason: options.reason,
    expiry: expiry.toISOString(),
    createdAt: new Date().toISOString(),
    createdBy: userInfo().username,
    source: 'registry',
  });
  await environment.store.putException(entry);
  write(
    `added exception ${entry.id} on ${entry.bucket} for ${vectors.length} way(s) in, until ${entry.expiry}\n`,
  );
}

/** `exceptions remove --id ID`. */
export async function removeException(
  options: { state: string; id: string },
  write: (t: string) => void,
): Promise<void> {
  const removed = await withState(options.state, (environment) =>
    environment.store.removeException(options.id),
  );
  if (!removed) throw new InvalidInputError(`no exception ${options.id}`);
  write(`removed exception ${options.id}\n`);
}
