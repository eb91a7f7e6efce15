import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PUBLIC_READ, policy, privateSnapshot } from '../support/snapshots.js';

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
