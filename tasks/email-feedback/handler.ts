/**
 * The email feedback as a Lambda function: SES bounce and complaint events, delivered by the SNS
 * topic the configuration set publishes to (see feedback.ts). No state machine calls it, so it
 * is no `defineTask`. SNS delivers at least once: acting twice on one event records nothing
 * twice (bounces are a set, the approval closes conditionally) but may tell the operators twice.
 */
import { SnsEnvelope } from '@aws-lambda-powertools/parser/envelopes/sns';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import type { Context } from 'aws-lambda';
import { InvalidInputError } from '../shared/errors.js';
import { currentRuntime, depsFor } from '../shared/lambda.js';
import { logger } from '../shared/logger.js';
import type { TaskDeps } from '../shared/task-deps.js';
import { feedbackOf, handleFeedback, SesNotificationSchema } from './feedback.js';

/** Acts on every record of an SNS event; a record that is no SES notification is refused by name. */
export async function handleFeedbackEvent(event: unknown, deps: TaskDeps): Promise<string[]> {
  // SNS carries the SES event as JSON text.
  const parsed = SnsEnvelope.safeParse(event, JSONStringified(SesNotificationSchema));
  if (!parsed.success) throw new InvalidInputError('email feedback: not an SNS event of SES notifications');
  const outcomes: string[] = [];
  for (const notification of parsed.data) {
    const feedback = feedbackOf(notification);
    if (!feedback) continue;
    outcomes.push(await handleFeedback(deps, feedback));
  }
  return outcomes;
}

/** The Lambda entry point. */
export async function handler(event: unknown, context: Context): Promise<{ outcomes: string[] }> {
  logger.addContext(context);
  const deps = await depsFor(await currentRuntime(), context);
  const outcomes = await handleFeedbackEvent(event, deps);
  logger.info('email feedback handled', { outcomes });
  return { outcomes };
}
