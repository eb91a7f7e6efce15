/**
 * Named errors are the language between the tasks and the state machine: each class's `name`
 * is a literal (a minifying bundler renames classes), every name the ASL matches belongs to an
 * exported class, and every class a task can throw is either routed by name or goes, on purpose,
 * to ReportFailure through the catch-all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../local/paths.js';
import { ResponderError } from '../../tasks/shared/errors.js';

const TASKS_DIR = projectPath('tasks');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every exported class deriving from ResponderError, from every module under tasks/. */
async function errorClasses(): Promise<Map<string, { file: string; cls: typeof ResponderError }>> {
  const found = new Map<string, { file: string; cls: typeof ResponderError }>();
  for (const file of sourceFiles(TASKS_DIR)) {
    const module = (await import(file)) as Record<string, unknown>;
    for (const [exported, value] of Object.entries(module)) {
      if (typeof value === 'function' && value.prototype instanceof ResponderError) {
        found.set(exported, { file: relative(TASKS_DIR, file), cls: value as typeof ResponderError });
      }
    }
  }
  return found;
}

/** The names the ASL's Retry and Catch match, other than Step Functions' and Lambda's own. */
function aslErrorNames(): Set<string> {
  const text = readFileSync(projectPath('statemachine', 'exposure-response.asl.json'), 'utf8');
  const names = [...text.matchAll(/"ErrorEquals":\s*\[([^\]]*)\]/g)].flatMap((m) =>
    [...(m[1] ?? '').matchAll(/"([^"]+)"/g)].map((n) => n[1] ?? ''),
  );
  return new Set(names.filter((n) => !n.startsWith('States.') && !n.startsWith('Lambda.')));
}

/**
 * Errors no Retry or Catch names: a catch-all takes them, to ReportFailure (which writes the
 * failure finding and tells the operators), or on past a side channel that failed. Each with why.
 */
const CAUGHT_BY_CATCH_ALL: Record<string, string> = {
  ChatDeliveryError:
    'never leaves a task: postToChannels returns the channels it could not reach, and the task records them on the incident',
  InvalidInputError: 'a malformed state or configuration is a fault of the deployment',
  MalformedEventError: 'an event that cannot be read: reported with the event',
  MissingBucketError: 'an event that names no bucket: reported with the event',
  LeaseLostError: 'the execution outlived its lease; the new holder answers the bucket',
  IncidentConflictError: 'a broken store invariant, never expected',
  IncidentTooLargeError: 'an incident element over the item limit, never expected',
  BackupFailedError: 'no backup, no change: the fix did not happen',
  RemediationApplyError: 'S3 refused a change: the fix did not happen',
  RemediationPlanError: 'no safe plan: the fix did not happen',
  RemediationBlockedError: 'the bucket could not be fully read before acting',
  EmailRejectedError: 'SES refused the alert for good',
  NoRecipientsError: 'nobody to send the alert to',
  FindingImportError:
    'Security Hub refused the finding: the alert goes out and says so, to the operators too',
  FindingUpdateError: 'Security Hub refused an update: the response goes on, then ReportFailure',
  SecurityHubNotEnabledError: 'WriteFinding goes on to the alert, which says so',
  FailureNotReportedError: "ReportFailure's own last resort: the execution fails (an alarm's job)",
  BucketRegionUnknownError: 'a CLI error (classify --bucket), not thrown by a task',
  ApprovalNotConfiguredError: 'mode approve without the approval page is a fault of the deployment',
  ApprovalUndeliverableError:
    'no approver got the request: ReportFailure tells the SOC and the operators rather than letting it expire',
  // The Macie scan's failures (tasks/scan-with-macie/errors.ts): the scan branch's Retry names
  // MacieThrottledError; the others never leave a task (scanFailed records them as the outcome),
  // and whatever does leave goes to RecordScanFailure, never to ReportFailure.
  MacieScanError: 'the abstract base of the Macie failures, never thrown itself',
  MacieNotEnabledError: 'recorded as the scan outcome by the task that met it (scanFailed); never thrown',
  MacieAccessDeniedError: 'recorded as the scan outcome by the task that met it (scanFailed); never thrown',
  MacieQuotaExceededError: 'recorded as the scan outcome by the task that met it (scanFailed); never thrown',
  MacieJobFailedError: 'recorded as the scan outcome by the task that met it (scanFailed); never thrown',
};

describe('named errors', () => {
  it('set their name as a literal equal to the class name, in every module under tasks/', () => {
    const problems: string[] = [];
    for (const file of sourceFiles(TASKS_DIR)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/export class (\w+Error) extends \w+ \{\n(\s*)(.*)\n/g)) {
        const [, cls, , firstLine] = match;
        if (firstLine?.trim() !== `override name = '${cls}';`)
          problems.push(`${relative(TASKS_DIR, file)}: ${cls}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('keep their names in a minified bundle that renames classes', async () => {
    const bundle = await build({
      stdin: {
        contents: `export * from './tasks/shared/errors.ts'; export * from './tasks/shared/findings/errors.ts';`,
        resolveDir: projectPath(),
        loader: 'ts',
      },
      bundle: true,
      minify: true,
      keepNames: false,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      write: false,
    });
    const code = bundle.outputFiles[0]?.text ?? '';
    const module = (await import(
      `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
    )) as Record<string, new (...args: string[]) => Error>;
    const names = [
      'BucketNotFoundError',
      'ConcurrentUpdateError',
      'AwsTransientError',
      'SecurityHubNotEnabledError',
    ];
    for (const name of names) {
      const Cls = module[name];
      expect(Cls, name).toBeDefined();
      if (Cls) expect(new Cls('a', 'b', 'c').name).toBe(name);
    }
  });

  it('that the ASL matches are each the name of an exported error class', async () => {
    const classes = await errorClasses();
    const unknown = [...aslErrorNames()].filter((name) => !classes.has(name));
    expect(unknown).toEqual([]);
  });

  it('are each routed by the ASL or listed as caught by a catch-all, with a reason', async () => {
    const routed = aslErrorNames();
    const unrouted = [...(await errorClasses()).keys()].filter(
      (name) => !routed.has(name) && !(name in CAUGHT_BY_CATCH_ALL),
    );
    expect(unrouted).toEqual([]);
  });

  it('listed as caught by a catch-all are errors that still exist', async () => {
    const classes = await errorClasses();
    expect(Object.keys(CAUGHT_BY_CATCH_ALL).filter((name) => !classes.has(name))).toEqual([]);
  });
});
