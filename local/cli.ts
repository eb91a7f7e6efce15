import './polyfills.js';
import { Command, CommanderError, Option } from 'commander';
import { InvalidInputError, ResponderError } from '../tasks/shared/errors.js';
import { classifyLiveBucket, classifySnapshotFile } from './commands/classify.js';
import { runDemo } from './commands/demo.js';

/** Exit codes: 2 for bad input (usage, malformed files), 1 for any other failure. */
const EXIT_BAD_INPUT = 2;
const EXIT_FAILURE = 1;

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const collect = (value: string, previous: string[]) => [...previous, value];

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
    .option('--region <region>', 'the AWS Region to call (default: from the environment)')
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
          printJson(await classifySnapshotFile(options.snapshot));
        } else if (options.bucket !== undefined) {
          printJson(
            await classifyLiveBucket({
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
    .command('demo')
    .description('Run the demo on the embedded default (no AWS account needed): what `npm start` runs.')
    .action(async () => {
      await runDemo((text) => process.stdout.write(text));
    });

  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
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
