/**
 * The responder's configuration: one JSON document (`--config FILE` locally; the stack's props
 * in AWS, passed to the first task). It travels in the workflow's state, so the ASL never
 * needs it substituted in.
 */
import {
  type ResponderConfig,
  ResponderConfigSchema,
  type ResponseMode,
  type Severity,
} from './contracts.js';
import { parseOrThrow } from './validation.js';

/** Parses a configuration document, or throws InvalidInputError naming the field. */
export function parseConfig(value: unknown): ResponderConfig {
  return parseOrThrow(ResponderConfigSchema, value, 'configuration');
}

/** The response mode for a bucket and severity, and why it was chosen. */
export function chooseMode(
  config: ResponderConfig,
  bucket: string,
  severity: Severity,
): { mode: ResponseMode; reason: string } {
  const byBucket = config.modes.byBucket[bucket];
  if (byBucket) return { mode: byBucket, reason: `bucket ${bucket} is configured for ${byBucket}` };
  const bySeverity = config.modes.bySeverity[severity];
  if (bySeverity) return { mode: bySeverity, reason: `severity ${severity} is configured for ${bySeverity}` };
  return { mode: config.modes.default, reason: `the default mode is ${config.modes.default}` };
}
