/**
 * The operators' SNS topic and the alarms that page it: anything that means an exposure may be
 * left unanswered (an execution failed, timed out or was stopped; the approval page or the
 * email feedback threw; an event could not start an execution and sits in the dead-letter
 * queue; the sweep, the backstop for lost events, threw or could not be started; SNS could not
 * deliver an SES bounce or complaint to the email feedback, when that queue is given). The topic
 * is encrypted with a customer managed key (CloudWatch needs to use it to publish, hence its key
 * policy) and accepts only TLS requests. Each operator address of the configuration gets an
 * email subscription (SNS sends each one a confirmation first).
 *
 * Each alarm fires on one data point of five minutes at or above its threshold, and treats
 * missing data as not breaching: no executions is the normal state, not an outage.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The period every alarm looks at. */
export const ALARM_PERIOD = Duration.minutes(5);

export interface OperatorAlarmsProps {
  /** The operators' addresses (`config.operators.email`): one email subscription each. */
  readonly operatorEmails: readonly string[];
  /** Whether to subscribe them (off when the topic is wired to something else). */
  readonly subscribeOperators: boolean;
  readonly stateMachine: sfn.IStateMachine;
  readonly approvalPage: lambda.IFunction;
  readonly emailFeedback: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** The sweep function and its schedule's dead-letter queue. */
  readonly sweep: lambda.IFunction;
  readonly sweepDeadLetterQueue: sqs.IQueue;
  /** The SES feedback subscription's dead-letter queue; when given, a message in it pages the operators. */
  readonly emailFeedbackDeadLetterQueue?: sqs.IQueue;
}

export class OperatorAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  /**
   * The alarms, by name: ExecutionsFailed, ExecutionsTimedOut, ExecutionsAborted,
   * ApprovalPageErrors, DeadLetters, EmailFeedbackErrors, SweepErrors, SweepDeadLetters, and
   * EmailFeedbackDeadLetters when its queue is given.
   */
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: OperatorAlarmsProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'S3 Exposure Responder: encrypts the operators topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic with this key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'S3 Exposure Responder operators',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.subscribeOperators) {
      for (const address of props.operatorEmails) {
        this.topic.addSubscription(new subscriptions.EmailSubscription(address));
      }
    }

    const alarmAction = new actions.SnsAction(this.topic);
    const atLeastOnce = (name: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm => {
      const alarm = new cloudwatch.Alarm(this, name, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(alarmAction);
      return alarm;
    };
    const period = { period: ALARM_PERIOD };
    const sm = props.stateMachine;
    const alarms = new Map([
      [
        'ExecutionsFailed',
        atLeastOnce(
          'ExecutionsFailed',
          sm.metricFailed({ ...period, statistic: 'Sum' }),
          'An exposure response execution failed: the bucket may still be public. Redrive it or open the incident.',
        ),
      ],
      [
        'ExecutionsTimedOut',
        atLeastOnce(
          'ExecutionsTimedOut',
          sm.metricTimedOut({ ...period, statistic: 'Sum' }),
          'An exposure response execution timed out: the bucket may still be public.',
        ),
      ],
      [
        'ExecutionsAborted',
        atLeastOnce(
          'ExecutionsAborted',
          sm.metricAborted({ ...period, statistic: 'Sum' }),
          'An exposure response execution was stopped by hand: check that someone answers the exposure.',
        ),
      ],
      [
        'ApprovalPageErrors',
        atLeastOnce(
          'ApprovalPageErrors',
          props.approvalPage.metricErrors({ ...period, statistic: 'Sum' }),
          'The approval page threw: an approver may not be able to decide.',
        ),
      ],
      [
        'DeadLetters',
        atLeastOnce(
          'DeadLetters',
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...period, statistic: 'Maximum' }),
          'An exposure event could not start an execution and is in the dead-letter queue: replay it (the sweep also finds the bucket later).',
        ),
      ],
      [
        'EmailFeedbackErrors',
        atLeastOnce(
          'EmailFeedbackErrors',
          props.emailFeedback.metricErrors({ ...period, statistic: 'Sum' }),
          'A bounce or complaint of a responder email could not be recorded.',
        ),
      ],
      [
        'SweepErrors',
        atLeastOnce(
          'SweepErrors',
          props.sweep.metricErrors({ ...period, statistic: 'Sum' }),
          'The sweep threw: public buckets whose events were lost are not being found.',
        ),
      ],
      [
        'SweepDeadLetters',
        atLeastOnce(
          'SweepDeadLetters',
          props.sweepDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            ...period,
            statistic: 'Maximum',
          }),
          'EventBridge Scheduler could not start a sweep run: check the schedule role and the sweep function.',
        ),
      ],
    ]);
    if (props.emailFeedbackDeadLetterQueue) {
      alarms.set(
        'EmailFeedbackDeadLetters',
        atLeastOnce(
          'EmailFeedbackDeadLetters',
          props.emailFeedbackDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            ...period,
            statistic: 'Maximum',
          }),
          'SNS could not deliver an SES bounce or complaint to the email-feedback function: check the function and its permission, then replay the message from the dead-letter queue.',
        ),
      );
    }
    this.alarms = alarms;
  }
}
