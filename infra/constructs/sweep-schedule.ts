/**
 * The sweep on EventBridge Scheduler: every `interval` (six hours unless told otherwise) the
 * schedule invokes the sweep function with `{ "sweepId": "<aws.scheduler.scheduled-time>" }`.
 * The scheduled time is the same on every retry of one run, so a retried invocation starts no
 * execution twice (`tasks/sweep/handler.ts`).
 *
 * Delivery: Scheduler retries an invocation it could not deliver (throttled, for example) a few
 * times within an hour, then puts the event in an encrypted, TLS-only dead-letter queue kept 14
 * days; the next run sweeps again anyway. The schedule's role may invoke the sweep function
 * (its unqualified ARN, nothing else: not its versions or aliases) and write to that queue, and
 * only Scheduler may assume it, for schedules of this account.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { ScheduleTargetBase, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';

/** How often the sweep runs unless the props say otherwise. */
export const DEFAULT_SWEEP_INTERVAL = Duration.hours(6);
/** Attempts Scheduler makes to deliver one run before it goes to the dead-letter queue. */
export const SWEEP_RETRY_ATTEMPTS = 3;
/** How long Scheduler keeps trying to deliver one run. */
export const SWEEP_MAX_EVENT_AGE = Duration.hours(1);

/** Invokes one function by its unqualified ARN (aws-scheduler-targets' LambdaInvoke also grants `<arn>:*`). */
class InvokeFunction extends ScheduleTargetBase {
  constructor(
    private readonly fn: lambda.IFunction,
    props: ScheduleTargetBaseProps,
  ) {
    super(props, fn.functionArn);
  }

  protected addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeTheSweepOnly',
        actions: ['lambda:InvokeFunction'],
        resources: [this.fn.functionArn],
      }),
    );
  }
}

export interface SweepScheduleProps {
  readonly sweep: lambda.IFunction;
  /** @default six hours */
  readonly interval?: Duration;
}

export class SweepSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id);
    const interval = props.interval ?? DEFAULT_SWEEP_INTERVAL;
    if (interval.toMinutes() < 1) throw new Error('the sweep interval must be at least one minute');
    this.deadLetterQueue = deadLetterQueue(
      this,
      'DeadLetters',
      'the sweep schedule (runs Scheduler could not deliver)',
    );
    this.role = new iam.Role(this, 'Role', {
      description: 'EventBridge Scheduler: invokes the sweep function, nothing else',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'The sweep: starts an execution for each public bucket no execution answers',
      schedule: scheduler.ScheduleExpression.rate(interval),
      target: new InvokeFunction(props.sweep, {
        role: this.role,
        input: scheduler.ScheduleTargetInput.fromObject({
          sweepId: scheduler.ContextAttribute.scheduledTime,
        }),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: SWEEP_RETRY_ATTEMPTS,
        maxEventAge: SWEEP_MAX_EVENT_AGE,
      }),
    });
  }
}
