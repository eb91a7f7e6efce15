import './polyfills.js';

// The SDK warns that Node 20 support ends in 2027; the local CLI says so in the README instead of on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { InvalidInputError, ResponderError } from '../tasks/shared/errors.js';

// Commands are loaded when run: `classify` should not pay for loading the sandbox and the SDK.
const commands = {
  classify: () => import('./commands/classify.js'),
  demo: () => import('./commands/demo.js'),
  exceptions: () => import('./commands/exceptions.js'),
  rollback: () => import('./commands/rollback.js'),
  simulate: () => import('./commands/simulate.js'),
  sweep: () => import('./commands/sweep.js'),
};

/** Exit codes: 2 for bad input (usage, malformed files), 1 for any other failure. */
const EXIT_BAD_INPUT = 2;
const EXIT_FAILURE = 1;

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The longest an exception may be asked to last, in days: the configuration's bound for rollbacks. */
const MAX_EXCEPTION_DAYS = 365;

/**
 * A number of days, as `--days` and `--exception-days` take it. A bad value is refused while the
 * command line is read (commander names the flag, exit 2), before any state folder is opened:
 * `parseInt` alone would take "-5" as an exception that ended five days ago, and "abc" as NaN.
 */
function parseDays(value: string): number {
  const days = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(days >= 1 && days <= MAX_EXCEPTION_DAYS)) {
    throw new InvalidArgumentError(`Expected a whole number of days from 1 to ${MAX_EXCEPTION_DAYS}.`);
  }
  return days;
}

/** A whole number from `min` to `max`, as --concurrency and --max-buckets take it; refused while the command line is read. */
function wholeNumber(value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new InvalidArgumentError(
      `Expected a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}.`,
    );
  }
  return n;
}

const IsoDateSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/**
 * An expiry, as `--expires` takes it: an ISO date (midnight UTC) or date and time with its zone,
 * that exists and is still to come. `new Date` alone would take "2025-02-30" as March 2nd.
 */
function parseExpiry(value: string): string {
  if (!IsoDateSchema.safeParse(value).success) {
    throw new InvalidArgumentError(
      'Expected an ISO date that exists (2030-06-30) or date and time with its zone (2030-06-30T18:00:00Z).',
    );
  }
  if (Date.parse(value) <= Date.now()) throw new InvalidArgumentError('It is not in the future.');
  return value;
}

export function buildProgram(): Command {
  const program = new Command('s3-exposure')
    .description('Detect, explain and respond to Amazon S3 public exposure.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('classify')
    .description(
      'Classify bucket access configuration: from a snapshot file (one snapshot or a JSON array), or from a live bucket.',
    )
    .addOption(
      new Option('--snapshot <file>', 'a BucketAccessSnapshot JSON file, or - for standard input').conflicts(
        'bucket',
      ),
    )
    .addOption(new Option('--bucket <name>', 'read this bucket from AWS (default credential chain)'))
    .option('--key <key>', 'an object key to include (repeatable; with --bucket)', collect, [])
    .option('--account <id>', 'the expected bucket owner (default: the caller account, from STS)')
    .option(
      '--region <region>',
      "the bucket's Region, also used for STS (default: asked from S3 with HeadBucket, else GetBucketLocation)",
    )
    .addHelpText(
      'after',
      `
Prints the verdict (or an array of verdicts, in input order) as JSON on stdout; logs go to stderr.
Exit codes: 0 classified, 2 bad input (the message names the snapshot index and field), 1 other failure.

Examples:
  s3-exposure classify --snapshot samples/snapshots/public-website.json
  cat many.json | s3-exposure classify --snapshot -
  s3-exposure classify --bucket my-bucket --key reports/q3.csv`,
    )
    .action(
      async (options: {
        snapshot?: string;
        bucket?: string;
        key: string[];
        account?: string;
        region?: string;
      }) => {
        if (options.snapshot !== undefined) {
          printJson(await (await commands.classify()).classifySnapshotFile(options.snapshot));
        } else if (options.bucket !== undefined) {
          printJson(
            await (await commands.classify()).classifyLiveBucket({
              bucket: options.bucket,
              keys: options.key,
              ...(options.account ? { account: options.account } : {}),
              ...(options.region ? { region: options.region } : {}),
            }),
          );
        } else {
          throw new InvalidInputError('classify needs --snapshot FILE|- or --bucket NAME');
        }
      },
    );

  program
    .command('simulate')
    .description('Run CloudTrail events through the real workflow on the sandbox account (no AWS needed).')
    .option(
      '--world <file>',
      'the account before the events (a world file); optional with --state DIR holding a run',
    )
    .requiredOption('--event <file>', 'an EventBridge event, or a JSON array of them (samples in events/)')
    .option('--config <file>', 'the responder configuration (default: samples/config.json)')
    .addOption(
      new Option('--mode <mode>', 'response mode for every bucket in this run').choices([
        'auto',
        'approve',
        'notify',
      ]),
    )
    .addOption(
      new Option(
        '--decision <how>',
        'who answers approval requests (mode approve): approve or reject through the emailed link, expire at once, or manual (wait for a person to use the link in the .eml)',
      )
        .choices(['approve', 'reject', 'expire', 'manual'])
        .default('expire'),
    )
    .option(
      '--state <dir>',
      'continue from this state folder (initialised from --world when empty); default: a new temporary folder',
    )
    .option('--serial', 'wait for each execution to end before delivering the next event')
    .option('--outbox <dir>', "where email goes as .eml files (default: the state folder's outbox/)")
    .option('--json', 'print { executions, world, outbox } as JSON on stdout')
    .addHelpText(
      'after',
      `
Each successful event's change is applied to the sandbox first, as the real API call would have done
(a failed call, with errorCode, changes nothing); then the event is delivered. Executions start in file
order without waiting for one another, as EventBridge delivers, so they overlap and can join each other's
incidents. The state folder keeps the account, the incident store (DynamoDB on dynalite, in dynamodb/;
one process at a time), the outbox (.eml files) and execution histories.

With --json: { "executions": [ { "path", "status", "incident", "finding" } ], "world", "outbox" },
one execution per event in file order. Logs go to stderr.

Examples:
  s3-exposure simulate --world samples/world.json --event events/put-bucket-policy-public.json
  s3-exposure simulate --world samples/world.json --event storm.json --state ./state --json`,
    )
    .action(async (options) => {
      await (await commands.simulate()).runSimulateCommand(options, (text) => process.stdout.write(text));
    });

  const exceptions = program
    .command('exceptions')
    .description('Manage the exception registry: buckets that may be public in named ways, until a date.')
    .addHelpText(
      'after',
      `
An exception covers an exposure only while it is unexpired and names every way in the exposure has
(a wider exposure, such as public write where the exception covers public read, is not covered).
A malformed entry is listed as such and never honoured. The registry lives in the incident store
(locally the state folder's; a new state folder takes the world file's "exceptions", and world.json
shows the registry as it is after each command).`,
    );
  exceptions
    .command('list')
    .description('List exceptions, marking expired and malformed ones.')
    .option('--state <dir>', 'the state folder', '.s3-exposure')
    .option('--json', 'print the entries as JSON')
    .action(async (options: { state: string; json?: boolean }) => {
      await (await commands.exceptions()).listExceptions(options, (text) => process.stdout.write(text));
    });
  exceptions
    .command('add')
    .description("Except a bucket's current public ways in (or an incident's) until a date.")
    .requiredOption('--bucket <name>', 'the bucket')
    .requiredOption('--reason <text>', 'why the exposure is intended')
    .option('--owner <name>', 'who answers for it (default: your user name)')
    .addOption(
      new Option('--expires <date>', 'when it ends (ISO date, or date and time with its zone)')
        .argParser(parseExpiry)
        .conflicts('days'),
    )
    .option('--days <n>', `or: how many days it lasts, 1 to ${MAX_EXCEPTION_DAYS} (default 30)`, parseDays)
    .option('--incident <id>', "except exactly this incident's ways in (default: the bucket's ways in now)")
    .addOption(
      new Option('--access <level>', 'only the read or write ways in')
        .choices(['read', 'write', 'all'])
        .default('all'),
    )
    .option('--id <id>', 'the entry id (default: generated)')
    .option('--state <dir>', 'the state folder', '.s3-exposure')
    .action(async (options) => {
      await (await commands.exceptions()).addException(options, (text) => process.stdout.write(text));
    });
  exceptions
    .command('remove')
    .description('Remove an exception by id.')
    .requiredOption('--id <id>', 'the entry id')
    .option('--state <dir>', 'the state folder', '.s3-exposure')
    .action(async (options: { state: string; id: string }) => {
      await (await commands.exceptions()).removeException(options, (text) => process.stdout.write(text));
    });

  program
    .command('rollback')
    .description("Undo an incident's remediation: put back exactly what the fix removed, and except it.")
    .requiredOption('--incident <id>', 'the incident whose remediation to undo')
    .option('--by <name>', 'who rolls back (default: your user name)')
    .option(
      '--exception-days <n>',
      `how long the exception for the restored exposure lasts, 1 to ${MAX_EXCEPTION_DAYS} days (default: configuration, 7)`,
      parseDays,
    )
    .option('--force', 'undo the fix even if the bucket changed since; the changes made since are kept')
    .option('--state <dir>', 'the state folder', '.s3-exposure')
    .option('--json', 'print the rollback record as JSON')
    .addHelpText(
      'after',
      `
Undoes exactly what the fix changed: re-adds the policy statements it removed (in their place), the
ACL grants it removed, and turns off the Block Public Access flags it turned on; nothing else is touched.
It first reads the bucket and compares it with what the fix left. If anything changed since (a statement
added, a flag turned on...), it lists the changes and refuses with exit 1, changing nothing; with --force
it undoes only the fix and keeps those changes. When nothing changed, the policy comes back byte for byte.
It records who rolled back and when, notes it on the finding, and registers an exception for exactly the
restored ways in so the responder does not undo it again. A part S3 refuses (Block Public Access or
BucketOwnerEnforced in the way) is reported with the reason, and the command exits 1.`,
    )
    .action(async (options) => {
      process.exitCode = await (await commands.rollback()).runRollbackCommand(options, (text) =>
        process.stdout.write(text),
      );
    });

  program
    .command('sweep')
    .description(
      'Check every bucket of the account and hand the unanswered ones to the workflow: the backstop for lost events and failed responses.',
    )
    .option('--state <dir>', 'the state folder', '.s3-exposure')
    .option('--world <file>', 'the account, when the state folder is empty (ignored when it holds one)')
    .option('--config <file>', 'the responder configuration (default: samples/config.json)')
    .option(
      '--concurrency <n>',
      'buckets read at once, 1 to 64 (default: the configuration, limits.objectAclConcurrency)',
      (value: string) => wholeNumber(value, 1, 64),
    )
    .option(
      '--max-buckets <n>',
      'check at most this many buckets; the rest wait for the next sweep',
      (value: string) => wholeNumber(value, 1, Number.MAX_SAFE_INTEGER),
    )
    .option('--json', 'print { sweep, executions } as JSON on stdout')
    .addHelpText(
      'after',
      `
Lists every bucket (ListBuckets, paged) and reads each in its own Region, a few at a time. It starts an
execution of the workflow for a bucket left unanswered, which then answers it as it answers an event
(incident, finding, alert, remediation per mode):
  stranded-events   events wait on a lease whose holder ended (Step Functions DescribeExecution) or whose
                    lease ran out: the lease is given up first, and the new execution takes the events
  unanswered        the open incident's response is FAILED, or PENDING with no running execution
  no-incident       public (or not fully assessed) with no open incident: its event was lost
  wider             public in ways the open incident does not name
  no-longer-public  the incident is open, but the bucket is no longer public: the execution closes it
A bucket a running execution holds is left to it. Latent exposures (masked by Block Public Access or
Object Ownership) are reported; nothing starts for them. Executions are named after the sweep and the
bucket, so the same sweep never starts one twice. Locally it waits for every execution it started.

With --json: { "sweep": { sweepId, bucketsChecked, truncated, public, started, reclaimed, inProgress, latent,
gone, failed, ... }, "executions": [ { bucket, reasons, executionArn, status, path, incident } ] }.
Exit codes: 0 done, 2 bad input, 1 a bucket could not be checked or an execution did not succeed
(after the output).

Examples:
  s3-exposure sweep --state ./state
  s3-exposure sweep --world samples/world.json --state ./new-state --json`,
    )
    .action(async (options) => {
      await (await commands.sweep()).runSweepCommand(options, (text) => process.stdout.write(text));
    });

  program
    .command('demo')
    .description('Tell the playbook story on the sample account (no AWS needed): what `npm start` runs.')
    .option('--state <dir>', 'the state folder', '.s3-exposure')
    .option('--fresh', 'start again from the sample account (npm start does)')
    .action(async (options: { state: string; fresh?: boolean }) => {
      await (await commands.demo()).runDemo({ state: options.state, fresh: options.fresh ?? false }, (text) =>
        process.stdout.write(text),
      );
    });

  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // A command may end with a non-zero code of its own (rollback with refused parts).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already printed usage errors.
      return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    if (error instanceof InvalidInputError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    const message = error instanceof ResponderError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    return EXIT_FAILURE;
  }
}

process.exitCode = await main(process.argv);
