import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUCKET, OWNER_ACCOUNT, PUBLIC_READ, policy, privateSnapshot } from '../support/snapshots.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/s3-exposure.js', import.meta.url));

/** Runs the built binary (npm test builds it first) as a user would. */
function run(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('s3-exposure classify', () => {
  it('prints one verdict as JSON for one snapshot file', () => {
    const { code, stdout } = run(['classify', '--snapshot', 'samples/snapshots/object-acl-public.json']);
    expect(code).toBe(0);
    const verdict = JSON.parse(stdout);
    expect(verdict).toMatchObject({ bucket: 'acme-reports', effectivelyPublic: true, severity: 'HIGH' });
  });

  it('reads an array from standard input and answers in input order', () => {
    const snapshots = [
      privateSnapshot({ bucket: 'first-bucket' }),
      privateSnapshot({ bucket: 'second-bucket', bucketPolicy: policy(PUBLIC_READ) }),
    ];
    const { code, stdout } = run(['classify', '--snapshot', '-'], JSON.stringify(snapshots));
    expect(code).toBe(0);
    const verdicts = JSON.parse(stdout);
    expect(
      verdicts.map((v: { bucket: string; effectivelyPublic: boolean }) => [v.bucket, v.effectivelyPublic]),
    ).toEqual([
      ['first-bucket', false],
      ['second-bucket', true],
    ]);
  });

  it('exits 2 naming the snapshot index and the field, and prints nothing on stdout', () => {
    const snapshots = [
      privateSnapshot(),
      privateSnapshot({ bucketPolicy: '{"Statement":[{"Effect":"Permit"}]}' }),
    ];
    const { code, stdout, stderr } = run(['classify', '--snapshot', '-'], JSON.stringify(snapshots));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/snapshot 1: bucketPolicy\.Statement\[0\]\.Effect/);
  });

  it('exits 2 when the input is not JSON', () => {
    const { code, stderr } = run(['classify', '--snapshot', '-'], '{"accountId": ');
    expect(code).toBe(2);
    expect(stderr).toMatch(/standard input is not JSON/);
  });

  it('exits 2 when the snapshot file does not exist', () => {
    const { code, stderr } = run(['classify', '--snapshot', 'no-such-file.json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot read no-such-file.json: ENOENT/);
  });

  it('exits 2 without --snapshot or --bucket', () => {
    expect(run(['classify']).code).toBe(2);
  });

  it('documents its options and exit codes in --help', () => {
    const { code, stdout } = run(['classify', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--snapshot <file>/);
    expect(stdout).toMatch(/Exit codes: 0 classified, 2 bad input/);
  });

  it('gives the same verdicts as the sample files say', () => {
    const sample = JSON.parse(
      readFileSync(new URL('../../samples/snapshots/public-write-acl.json', import.meta.url), 'utf8'),
    );
    const { stdout } = run(['classify', '--snapshot', '-'], JSON.stringify(sample));
    expect(JSON.parse(stdout)).toMatchObject({ publicRead: true, publicWrite: true, severity: 'CRITICAL' });
  });
});

/** One request the stand-in for S3 received, with the Region its signature was made for. */
interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly region: string | undefined;
  readonly expectedOwner: string | undefined;
}

type Answer = { readonly status: number; readonly headers?: Record<string, string>; readonly code?: string };

/** An S3 error body; HEAD answers carry none. */
const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} (test)</Message></Error>`;

describe('s3-exposure classify --bucket: the Region of the bucket', () => {
  let seen: SeenRequest[];
  let answer: (request: IncomingMessage) => Answer;
  let endpoint: string;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const credential = /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\//.exec(request.headers.authorization ?? '');
    const owner = request.headers['x-amz-expected-bucket-owner'];
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      region: credential?.[1],
      expectedOwner: typeof owner === 'string' ? owner : undefined,
    });
    const { status, headers = {}, code } = answer(request);
    response.writeHead(status, { ...headers, ...(code ? { 'content-type': 'application/xml' } : {}) });
    response.end(code && request.method !== 'HEAD' ? errorXml(code) : undefined);
  });

  beforeEach(async () => {
    seen = [];
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  });

  /**
   * Runs the binary against the stand-in (AWS_ENDPOINT_URL_S3) with the environment's Region
   * us-east-1. Asynchronous: the stand-in answers from this process. S3 Control cannot be
   * pointed at it (the SDK puts the account ID in front of the host), so every run here ends
   * on the bucket that the stand-in says does not exist.
   */
  function classifyLive(args: string[]) {
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example-secret',
      AWS_CONFIG_FILE: `${root}no-such-aws-config`,
      AWS_SHARED_CREDENTIALS_FILE: `${root}no-such-aws-credentials`,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_S3_CONTROL: endpoint,
    };
    const child = spawn(
      process.execPath,
      [bin, 'classify', '--bucket', BUCKET, '--account', OWNER_ACCOUNT, ...args],
      { cwd: root, env },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('looks the Region up with HeadBucket, then signs every read for that Region', async () => {
    answer = (request) =>
      request.method === 'HEAD'
        ? { status: 301, headers: { 'x-amz-bucket-region': 'eu-west-2' } }
        : { status: 404, code: 'NoSuchBucket' };
    // The run ends in an error either way: every bucket read says NoSuchBucket, and S3 Control
    // (account Block Public Access) cannot be pointed at this fake (it prefixes the account to the
    // host). What matters here is the lookup and the Region every read is signed for.
    const { code } = await classifyLive([]);
    expect(code).toBe(1);
    const [lookup, ...reads] = seen;
    expect(lookup).toEqual({
      method: 'HEAD',
      url: `/${BUCKET}/`,
      region: 'us-east-1',
      expectedOwner: OWNER_ACCOUNT,
    });
    expect(reads.map((r) => r.url)).toContainEqual(expect.stringMatching(/\?policy/));
    for (const read of reads) {
      expect(read).toMatchObject({ method: 'GET', region: 'eu-west-2', expectedOwner: OWNER_ACCOUNT });
    }
  });

  it('takes an explicit --region without asking S3', async () => {
    answer = () => ({ status: 404, code: 'NoSuchBucket' });
    const { code } = await classifyLive(['--region', 'ap-south-1']);
    expect(code).toBe(1);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(new Set(seen.map((r) => r.region))).toEqual(new Set(['ap-south-1']));
  });

  it('exits 1 naming the bucket when the lookup finds no bucket, and reads nothing', async () => {
    answer = () => ({ status: 404 });
    const { code, stdout, stderr } = await classifyLive([]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(`bucket ${BUCKET} does not exist in the expected account`);
    expect(seen.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('exits 1 asking for the Region when HeadBucket and GetBucketLocation are both refused', async () => {
    answer = (request) =>
      request.method === 'HEAD' ? { status: 403 } : { status: 403, code: 'AccessDenied' };
    const { code, stderr } = await classifyLive([]);
    expect(code).toBe(1);
    expect(stderr).toMatch(`cannot find the Region of bucket ${BUCKET}`);
    expect(stderr).toMatch(/give the Region explicitly/);
    expect(seen).toEqual([
      expect.objectContaining({ method: 'HEAD', url: `/${BUCKET}/`, expectedOwner: OWNER_ACCOUNT }),
      expect.objectContaining({
        method: 'GET',
        url: expect.stringMatching(new RegExp(`^/${BUCKET}/\\?location\\b`)),
        expectedOwner: OWNER_ACCOUNT,
      }),
    ]);
  });
});

describe('s3-exposure rollback', () => {
  const bucket = 'acme-public-assets';
  const resource = `arn:aws:s3:::${bucket}/*`;
  const deploy = {
    Sid: 'DeployRole',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${OWNER_ACCOUNT}:role/deploy` },
    Action: 's3:PutObject',
    Resource: resource,
  };
  const publicRead = {
    Sid: 'PublicRead',
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: resource,
  };
  const analytics = {
    Sid: 'Analytics',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${OWNER_ACCOUNT}:role/analytics` },
    Action: 's3:GetObject',
    Resource: resource,
  };

  /** A PutBucketPolicy event file in `dir` that sets these statements. */
  function policyEvent(dir: string, name: string, statements: unknown[]): string {
    const event = JSON.parse(readFileSync(join(root, 'events/put-bucket-policy-public.json'), 'utf8'));
    event.detail.eventID = `${name}-0000-0000-0000-000000000000`;
    event.detail.requestParameters.bucketPolicy = { Version: '2012-10-17', Statement: statements };
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(event));
    return file;
  }

  /** A state folder where the fix removed the public statement, and then the owner added one. */
  function fixedThenChanged(): { state: string; incidentId: string } {
    const dir = mkdtempSync(join(tmpdir(), 's3-exposure-cli-'));
    const state = join(dir, 'state');
    const simulate = (file: string) =>
      run([
        'simulate',
        '--world',
        'samples/world.json',
        '--event',
        file,
        '--mode',
        'auto',
        '--state',
        state,
        '--json',
      ]);
    const fixed = simulate(policyEvent(dir, 'public', [deploy, publicRead]));
    expect(fixed.code, fixed.stderr).toBe(0);
    const incidentId: string = JSON.parse(fixed.stdout).executions[0].incident.incidentId;
    const changed = simulate(policyEvent(dir, 'owner', [deploy, analytics]));
    expect(changed.code, changed.stderr).toBe(0);
    return { state, incidentId };
  }

  function statementsNow(state: string): unknown[] {
    const world = JSON.parse(readFileSync(join(state, 'world.json'), 'utf8'));
    return world.buckets[bucket].policy.Statement.map((s: { Sid: string }) => s.Sid);
  }

  it('documents --force in --help', () => {
    const { code, stdout } = run(['rollback', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--force/);
    expect(stdout).toMatch(/refuses with exit 1/);
  });

  it('exits 1 listing what the owner changed since the fix, and changes nothing', () => {
    const { state, incidentId } = fixedThenChanged();

    const { code, stdout, stderr } = run(['rollback', '--incident', incidentId, '--state', state]);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch('statement 1 ("Analytics") was added to the bucket policy');
    expect(stderr).toMatch(/--force/);
    expect(statementsNow(state)).toEqual(['DeployRole', 'Analytics']);
  });

  it("with --force puts back only our statement and keeps the owner's", () => {
    const { state, incidentId } = fixedThenChanged();

    const { code, stdout, stderr } = run([
      'rollback',
      '--incident',
      incidentId,
      '--state',
      state,
      '--force',
      '--by',
      'dana',
    ]);

    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(
      'kept (changed since the fix): statement 1 ("Analytics") was added to the bucket policy',
    );
    expect(statementsNow(state)).toEqual(['DeployRole', 'PublicRead', 'Analytics']);
  });
});
