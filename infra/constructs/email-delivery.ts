/**
 * SES delivery feedback: a configuration set whose event destination sends BOUNCE, COMPLAINT and
 * REJECT events to an SNS topic (KMS-encrypted, TLS-only), which the email-feedback function is
 * subscribed to (it records the bounce on the approval and tells the operators).
 *
 * The subscription has a dead-letter queue (SNS redrive policy): a message SNS cannot hand to
 * the function (the function or its invoke permission gone: client errors, kept at once; or
 * server errors past SNS's delivery retries) is kept there 14 days instead of being dropped, and
 * the operators' alarm on it says a bounce went unrecorded. SNS invokes the function
 * asynchronously, so an error the function throws is not a delivery failure: that is Lambda's
 * retry and the EmailFeedbackErrors alarm.
 *
 * The responder's code sends without naming a configuration set, so the set must be the sending
 * identity's default configuration set. With `manageSenderIdentity`, the stack creates the
 * sender's email identity (`config.sender`) with this set as its default; SES then sends the
 * address a verification email. Off by default: an identity someone already verified (often the
 * whole domain) belongs to whoever manages SES in the account, and a stack that creates it
 * fails when it exists. Then the operator sets the default once, with the command in the
 * stack's `SenderIdentitySetup` output:
 * `aws sesv2 put-email-identity-configuration-set-attributes --email-identity <identity>
 * --configuration-set-name <set>`.
 */
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';

/** The SES events that reach the email-feedback function. */
export const FEEDBACK_EVENTS = [
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.REJECT,
] as const;

export interface EmailDeliveryProps {
  /** The sender address (`config.sender`). */
  readonly sender: string;
  /** Create the sender's email identity with the configuration set as its default. */
  readonly manageSenderIdentity: boolean;
}

export class EmailDelivery extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  /** The configuration set's ARN (what `ses:SendEmail` is also authorized on). */
  readonly configurationSetArn: string;
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly identity: ses.EmailIdentity | undefined;
  /** The feedback subscription's dead-letter queue (what SNS could not deliver to the function). */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EmailDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'S3 Exposure Responder: encrypts the SES feedback topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // SES publishes bounce and complaint events to the encrypted topic with this key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SesEventPublishing',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'S3 Exposure Responder SES feedback',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.deadLetterQueue = deadLetterQueue(
      this,
      'DeadLetters',
      'the SES feedback subscription (messages SNS could not deliver to the email-feedback function)',
    );
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    this.configurationSet.addEventDestination('Feedback', {
      destination: ses.EventDestination.snsTopic(this.topic),
      events: [...FEEDBACK_EVENTS],
    });
    this.configurationSetArn = stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.identity = props.manageSenderIdentity
      ? new ses.EmailIdentity(this, 'Sender', {
          identity: ses.Identity.email(props.sender),
          configurationSet: this.configurationSet,
        })
      : undefined;
  }

  /**
   * Subscribes the email-feedback function to the feedback topic, with {@link deadLetterQueue} as
   * its redrive policy. CDK also gives the queue a policy statement letting SNS send to it, for
   * this topic only (`aws:SourceArn`); the queue is SSE-SQS, so SNS needs no key permission.
   */
  subscribe(fn: lambda.IFunction): void {
    this.topic.addSubscription(
      new subscriptions.LambdaSubscription(fn, { deadLetterQueue: this.deadLetterQueue }),
    );
  }
}
