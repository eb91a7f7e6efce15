/**
 * The intake: an EventBridge rule on the default bus that starts an execution for every S3 API
 * call (CloudTrail) that can change a bucket's or an object's exposure, failed calls included
 * (the workflow records them as attempts). Content filtering drops the object uploads
 * (PutObject, CopyObject, CreateMultipartUpload) that carry no ACL header, nearly all of a
 * bucket's data events. The pattern is the repo's own constant (`local/event-pattern.ts`), used
 * here as it is, which the tests match against every sample in `events/`.
 *
 * Delivery: EventBridge retries a failed StartExecution with backoff for up to a day, then puts
 * the event in an encrypted, TLS-only dead-letter queue kept 14 days, so a lost start is
 * visible and can be replayed (the sweep also finds the bucket later).
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXPOSURE_EVENT_PATTERN } from '../../local/event-pattern.js';
import { deadLetterQueue } from './dead-letter-queue.js';

/** Attempts EventBridge makes to start an execution before the event goes to the DLQ. */
const RETRY_ATTEMPTS = 185;
/** How old an event may be and still start an execution (EventBridge's maximum). */
const MAX_EVENT_AGE = Duration.hours(24);

export interface ExposureIntakeProps {
  readonly stateMachine: sfn.IStateMachine;
}

export class ExposureIntake extends Construct {
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExposureIntakeProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(
      this,
      'DeadLetters',
      "the rule's target (events EventBridge could not deliver)",
    );
    // CDK passes `detail` through untouched, `$or` and `exists` included; the copies are
    // mutable, as CDK's types want, while the shared constant stays frozen.
    const pattern = structuredClone(EXPOSURE_EVENT_PATTERN);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'S3 API calls (CloudTrail) that can change a bucket or object exposure start the response',
      eventPattern: {
        source: [...pattern.source],
        detailType: [...pattern['detail-type']],
        detail: pattern.detail,
      },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(props.stateMachine, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: RETRY_ATTEMPTS,
        maxEventAge: MAX_EVENT_AGE,
      }),
    );
  }
}
