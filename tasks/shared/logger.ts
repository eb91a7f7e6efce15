import type { LogItem } from '@aws-lambda-powertools/logger';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogLevel } from '@aws-lambda-powertools/logger/types';

/**
 * A Logger that writes every record to stderr. Outside Lambda the CLI's stdout carries
 * JSON results (`--json`), so logs must never land there.
 */
class StderrLogger extends Logger {
  protected override printLog(_logLevel: number, log: LogItem): void {
    process.stderr.write(`${JSON.stringify(log.getAttributes(), this.getJsonReplacer())}\n`);
  }
  protected override createLogger(options?: ConstructorOptions): Logger {
    return new StderrLogger(options);
  }
}

const inLambda = process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;

/**
 * The one logger configuration. Messages are constant strings; bucket, incident and decision
 * go in as keys. Never log task tokens, signed links, keys or object contents.
 */
export const logger: Logger = inLambda
  ? new Logger({ serviceName: 's3-exposure-responder' })
  : new StderrLogger({
      serviceName: 's3-exposure-responder',
      logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN') as LogLevel,
    });
