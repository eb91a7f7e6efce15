import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/s3-exposure.js', import.meta.url));

function run(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const temp = () => mkdtempSync(join(tmpdir(), 's3-exposure-cli-'));

describe('s3-exposure simulate', () => {
  it('prints exactly the documented JSON shape, and logs nothing on stdout', () => {
    const { code, stdout, stderr } = run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      'events/put-bucket-policy-public.json',
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const output = JSON.parse(stdout);
    expect(Object.keys(output).sort()).toEqual(['executions', 'outbox', 'world']);
    expect(output.executions).toHaveLength(1);
    expect(Object.keys(output.executions[0]).sort()).toEqual(['finding', 'incident', 'path', 'status']);
    expect(output.executions[0].status).toBe('SUCCEEDED');
    expect(output.executions[0].path.at(-1)).toBe('ResponseComplete');
    expect(output.executions[0].incident).toMatchObject({
      bucket: 'acme-public-assets',
      status: 'OPEN',
      response: 'NOTIFIED',
    });
    expect(output.executions[0].finding.Workflow.Status).toBe('NOTIFIED');
    for (const key of [
      'accountId',
      'region',
      'accountPublicAccessBlock',
      'services',
      'buckets',
      'exceptions',
      'faults',
    ]) {
      expect(output.world).toHaveProperty(key);
    }
    expect(Object.keys(output.outbox[0]).sort()).toEqual(['channel', 'file', 'subject', 'text', 'to']);
    expect(stderr).toMatch(/state folder: /);
  });

  it('writes the alerts as .eml files into --outbox', () => {
    const outbox = temp();
    const { code, stdout } = run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      'events/put-bucket-policy-public.json',
      '--outbox',
      outbox,
      '--json',
    ]);
    expect(code).toBe(0);
    const file = JSON.parse(stdout).outbox[0].file as string;
    expect(file.startsWith(outbox)).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/^To: soc@example.com$/m);
  });

  it('continues from a state folder: the same exposure again is not alerted twice', () => {
    const state = temp();
    const first = run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      'events/put-bucket-policy-public.json',
      '--state',
      state,
      '--json',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const event = JSON.parse(readFileSync(join(root, 'events/put-bucket-policy-public.json'), 'utf8'));
    event.detail.eventID = 'a-later-call-with-the-same-policy';
    const again = join(temp(), 'again.json');
    writeFileSync(again, JSON.stringify(event));
    const second = run(['simulate', '--event', again, '--state', state, '--json']);
    expect(second.code, second.stderr).toBe(0);
    const output = JSON.parse(second.stdout);
    expect(output.executions[0].incident.events).toHaveLength(2);
    expect(output.outbox).toHaveLength(1);
  });

  it('runs an array of events, one execution each, in file order', () => {
    const events = ['put-bucket-acl-canned', 'failed-put-bucket-policy'].map((n) =>
      JSON.parse(readFileSync(join(root, `events/${n}.json`), 'utf8')),
    );
    const file = join(temp(), 'events.json');
    writeFileSync(file, JSON.stringify(events));
    const { code, stdout } = run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      file,
      '--serial',
      '--json',
    ]);
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.executions.map((e: { path: string[] }) => e.path.at(-1))).toEqual([
      'ResponseComplete',
      'IgnoreEvent',
    ]);
  });

  it('refuses a malformed world with exit 2, naming the field', () => {
    const world = JSON.parse(readFileSync(join(root, 'samples/world.json'), 'utf8'));
    world.services.securityHub = 'maybe';
    const file = join(temp(), 'world.json');
    writeFileSync(file, JSON.stringify(world));
    const { code, stderr, stdout } = run([
      'simulate',
      '--world',
      file,
      '--event',
      'events/put-bucket-policy-public.json',
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/services\.securityHub/);
  });

  it('refuses a bad configuration at start, naming the field', () => {
    const file = join(temp(), 'config.json');
    writeFileSync(file, JSON.stringify({ recipients: { email: ['not-an-address'] } }));
    const { code, stderr } = run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      'events/put-bucket-policy-public.json',
      '--config',
      file,
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/configuration: recipients\.email\[0\]/);
  });

  it('--mode sets the mode of every bucket in the run, and refuses an unknown mode', () => {
    const args = [
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      'events/put-bucket-policy-public.json',
    ];
    const ok = run([...args, '--mode', 'approve', '--json']);
    expect(ok.code).toBe(0);
    const incident = JSON.parse(ok.stdout).executions[0].incident;
    expect(incident.mode).toBe('approve');
    // Nobody decides in this run (--decision defaults to expire): nothing changes.
    expect(incident.response).toBe('EXPIRED');
    const bad = run([...args, '--mode', 'yolo']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are auto, approve, notify/);
  });
});

/** A sample file from the project, parsed. */
function sample(file: string) {
  return JSON.parse(readFileSync(join(root, file), 'utf8'));
}

/** Writes `value` as JSON into a new temporary folder and returns the file. */
function jsonFile(name: string, value: unknown): string {
  const file = join(temp(), name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** What a later command would find in the state folder: the account, the calls and the incidents. */
function stateFiles(state: string): Record<string, string> {
  return Object.fromEntries(
    ['world.json', 'calls.jsonl', 'incidents.json'].map((name) => [
      name,
      readFileSync(join(state, name), 'utf8'),
    ]),
  );
}

/** A state folder after one run of the public-policy sample. */
function stateAfterOneRun(): string {
  const state = temp();
  const first = run([
    'simulate',
    '--world',
    'samples/world.json',
    '--event',
    'events/put-bucket-policy-public.json',
    '--state',
    state,
  ]);
  expect(first.code, first.stderr).toBe(0);
  return state;
}

describe('s3-exposure simulate: input and state hygiene', () => {
  it('refuses an event nested 3,000 levels deep with exit 2, naming its index, and runs nothing', () => {
    const state = stateAfterOneRun();
    const before = stateFiles(state);
    let deep: Record<string, unknown> = {};
    for (let level = 0; level < 3_000; level++) deep = { a: deep };
    const event = sample('events/put-bucket-policy-public.json');
    event.detail.requestParameters.extra = deep;
    const file = jsonFile('deep.json', [sample('events/put-bucket-acl-canned.json'), event]);

    const { code, stdout, stderr } = run(['simulate', '--event', file, '--state', state]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`error: ${file}: event 1 nests deeper than 100 levels`);
    expect(stateFiles(state)).toEqual(before);
    expect(existsSync(join(state, 'store.lock'))).toBe(false);
  });

  it('refuses a file holding null with exit 2, naming the event', () => {
    const { code, stderr } = run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      jsonFile('null.json', null),
    ]);

    expect(code).toBe(2);
    expect(stderr).toMatch(/event 0 is null, not a JSON object/);
  });

  it('refuses an event whose change the world cannot hold, and the state folder still loads', () => {
    const state = temp();
    const event = sample('events/put-bucket-policy-public.json');
    event.detail.requestParameters.bucketPolicy.Statement[0].Effect = 'Maybe';
    const first = run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      jsonFile('maybe.json', event),
      '--state',
      state,
    ]);
    expect(first.stdout).toMatch(/PutBucketPolicy not applied: the sandbox cannot hold what it records/);

    const second = run(['simulate', '--event', 'events/irrelevant-get-object.json', '--state', state]);

    expect(second.code, second.stderr).toBe(0);
  });

  it('exits 1 when an execution fails, naming it and its error on stderr after the JSON', () => {
    const world = sample('samples/world.json');
    world.faults = [{ service: 's3', operation: 'PutObject', error: 'AccessDenied', times: 100 }];

    const { code, stdout, stderr } = run([
      'simulate',
      '--world',
      jsonFile('world.json', world),
      '--event',
      'events/put-bucket-policy-public.json',
      '--mode',
      'auto',
      '--json',
    ]);

    expect(code).toBe(1);
    expect(JSON.parse(stdout).executions[0].status).toBe('FAILED');
    expect(stderr).toMatch(
      /error: 1 execution did not succeed:\n {2}[0-9a-f-]{36} FAILED in RemediateExposure: BackupFailedError \(could not write the backup/,
    );
  });
});

describe('s3-exposure exceptions and rollback: flags refused before anything is touched', () => {
  let state: string;
  let before: Record<string, string>;

  beforeAll(() => {
    state = stateAfterOneRun();
    before = stateFiles(state);
  });

  const addArgs = (dir = state) => [
    'exceptions',
    'add',
    '--state',
    dir,
    '--bucket',
    'acme-public-assets',
    '--reason',
    'public website',
  ];

  it.each(['-5', 'abc', '0', '366', '1.5'])(
    'rollback refuses --exception-days %s with exit 2, naming the flag',
    (days) => {
      const { code, stdout, stderr } = run([
        'rollback',
        '--incident',
        'inc-any',
        '--state',
        state,
        '--exception-days',
        days,
      ]);

      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(`option '--exception-days <n>' argument '${days}' is invalid`);
      expect(stateFiles(state)).toEqual(before);
    },
  );

  it.each([
    ['a past date', '2020-01-01'],
    ['a date that does not exist', '2031-02-30'],
    ['words', 'next tuesday'],
    ['a time without its zone', '2031-06-30T18:00:00'],
  ])('exceptions add refuses --expires with %s, exit 2, naming the flag', (_case, expires) => {
    const { code, stdout, stderr } = run([...addArgs(), '--expires', expires]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`option '--expires <date>' argument '${expires}' is invalid`);
    expect(stateFiles(state)).toEqual(before);
  });

  it.each(['-5', 'abc'])('exceptions add refuses --days %s with exit 2, naming the flag', (days) => {
    const { code, stderr } = run([...addArgs(), '--days', days]);

    expect(code).toBe(2);
    expect(stderr).toContain(`option '--days <n>' argument '${days}' is invalid`);
    expect(stateFiles(state)).toEqual(before);
  });

  it('exceptions add refuses --expires together with --days', () => {
    const { code, stderr } = run([...addArgs(), '--expires', '2031-06-30', '--days', '10']);

    expect(code).toBe(2);
    expect(stderr).toMatch(/option '--expires <date>' cannot be used with option '--days <n>'/);
  });

  it('exceptions add refuses an id the registry holds, keeping the first entry and the state folder', () => {
    const other = stateAfterOneRun();
    const first = run([...addArgs(other), '--id', 'exc-site']);
    expect(first.code, first.stderr).toBe(0);
    const afterFirst = stateFiles(other);

    const again = run([...addArgs(other), '--id', 'exc-site', '--reason', 'another reason']);

    expect(again.code).toBe(2);
    expect(again.stderr).toContain('error: --id exc-site: the registry already holds an exception exc-site');
    expect(stateFiles(other)).toEqual(afterFirst);
    const listed = JSON.parse(run(['exceptions', 'list', '--state', other, '--json']).stdout);
    expect(listed.map((row: { entry: { reason: string } }) => row.entry.reason)).toEqual(['public website']);
  });
});

describe('s3-exposure with a corrupt state folder', () => {
  let base: string;

  beforeAll(() => {
    base = stateAfterOneRun();
  });

  it.each([
    ['world.json', 'is not JSON', '{"accountId": ', 'is not JSON'],
    ['world.json', 'breaks the world schema', '{"accountId": "12"}', 'is not a valid world: accountId'],
    ['store.lock', 'holds no process id', 'garbage\n', 'is not a lock this tool wrote'],
    ['calls.jsonl', 'has a line that is not JSON', 'xx\n', 'line 1 is not JSON'],
  ])('exits 2 naming %s when it %s', (name, _case, content, problem) => {
    const state = temp();
    cpSync(base, state, { recursive: true });
    writeFileSync(join(state, name), content);

    const { code, stdout, stderr } = run([
      'simulate',
      '--event',
      'events/irrelevant-get-object.json',
      '--state',
      state,
    ]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`error: ${join(state, name)} ${problem}`);
  });
});

describe('s3-exposure demo', () => {
  it('tells the story from a fresh state folder', () => {
    const state = temp();
    const { code, stdout, stderr } = run(['demo', '--fresh', '--state', state]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/1\. A bucket policy made public/);
    // 16 executions: the first owns the incident; the others join it, or, arriving after it let
    // the bucket go, find the exposure already reported. Either way one incident and one alert.
    const storm = /3\. A storm of events\n.*\n\s+16 executions: [^\n]*JoinedOpenIncident[\s\S]*?\n\n4\./.exec(
      stdout,
    );
    expect(storm, stdout).not.toBeNull();
    expect(storm?.[0].match(/incident inc-/g)).toHaveLength(1);
    expect(storm?.[0].match(/email to soc@example.com/g)).toHaveLength(1);
    expect(stdout).toMatch(/no incident: nothing is public/);
    expect(stdout).toMatch(/RESOLVED \/ ARCHIVED/);
    expect(readFileSync(join(state, 'incidents.json'), 'utf8')).toMatch(/acme-logs/);
  });
});

describe('s3-exposure exceptions and rollback', () => {
  it('adds, lists and removes an exception in a state folder', () => {
    const state = temp();
    expect(
      run([
        'simulate',
        '--world',
        'samples/world.json',
        '--event',
        'events/put-bucket-policy-public.json',
        '--state',
        state,
      ]).code,
    ).toBe(0);
    const added = run([
      'exceptions',
      'add',
      '--state',
      state,
      '--bucket',
      'acme-public-assets',
      '--reason',
      'public website',
      '--owner',
      'web-team',
      '--days',
      '10',
      '--access',
      'read',
      '--id',
      'exc-site',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/added exception exc-site on acme-public-assets for 1 way\(s\) in/);
    const listed = run(['exceptions', 'list', '--state', state, '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        status: 'ACTIVE',
        entry: expect.objectContaining({ id: 'exc-site', owner: 'web-team' }),
      }),
    ]);
    expect(run(['exceptions', 'remove', '--state', state, '--id', 'exc-site']).code).toBe(0);
    expect(run(['exceptions', 'remove', '--state', state, '--id', 'exc-site']).code).toBe(2);
  });

  it('refuses an exception for a bucket with nothing public', () => {
    const state = temp();
    run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      'events/irrelevant-get-object.json',
      '--state',
      state,
    ]);
    const result = run(['exceptions', 'add', '--state', state, '--bucket', 'acme-logs', '--reason', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/has no public way in to except/);
  });

  it('rolls back an incident remediated in auto mode', () => {
    const state = temp();
    const first = run([
      'simulate',
      '--world',
      'samples/world.json',
      '--event',
      'events/put-bucket-policy-public.json',
      '--state',
      state,
      '--mode',
      'auto',
      '--json',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const incident = JSON.parse(first.stdout).executions[0].incident;
    expect(incident.closedReason).toBe('REMEDIATED');
    const rolled = run([
      'rollback',
      '--incident',
      incident.incidentId,
      '--state',
      state,
      '--by',
      'dana',
      '--json',
    ]);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({
      by: 'dana',
      identical: true,
      exceptionId: `rollback-${incident.incidentId}`,
    });
    const again = run(['rollback', '--incident', incident.incidentId, '--state', state]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already rolled back by dana/);
  });
});
