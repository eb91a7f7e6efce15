/**
 * A dead-letter queue: encrypted, TLS only, kept 14 days (the longest SQS allows), for what a
 * delivery (the rule's target, the sweep's schedule, the SES feedback subscription) could not
 * hand over. Its own messages are what the operators' alarm watches. SQS-managed encryption
 * (SSE-SQS) needs no key permission from the service that sends to it.
 */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

/** A dead-letter queue for `what` (e.g. "the rule's target (events EventBridge could not deliver)"). */
export function deadLetterQueue(scope: Construct, id: string, what: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(
    queue,
    'AwsSolutions-SQS3',
    `This queue is the dead-letter queue of ${what}; a dead-letter queue needs none of its own.`,
  );
  return queue;
}
