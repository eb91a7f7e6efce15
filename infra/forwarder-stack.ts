/**
 * A light stack for each extra Region: S3 bucket events (CloudTrail, via EventBridge) arrive in
 * the bucket's Region, and the responder runs in one main Region. In each other Region this
 * stack's rule matches the same events as the main intake rule (the same constant,
 * `local/event-pattern.ts`, passed through as it is) and sends them to the main Region's default
 * event bus, in the same account, where the intake rule matches them again: a forwarded event
 * keeps its source and detail-type (and its own `region`).
 *
 * EventBridge receives those events in a Region only when a trail logs them there (a
 * multi-Region trail for management events; for object-level calls, the `dataEvents` trail with
 * `allRegions`).
 *
 * Delivery: a cross-Region bus target needs a role (events:PutEvents on the main bus, nothing
 * else; only EventBridge of this account may assume it). EventBridge retries for up to a day,
 * then puts the event in an encrypted, TLS-only dead-letter queue in this Region, kept 14 days;
 * an alarm fires on any message there. Alarm actions must be in the alarm's Region, so when
 * operator addresses are given the stack has its own small operators' topic (KMS, TLS-only, one
 * email subscription each); otherwise the alarm has no action and the outputs name it.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EXPOSURE_EVENT_PATTERN } from '../local/event-pattern.js';
import { deadLetterQueue } from './constructs/dead-letter-queue.js';

/** Attempts EventBridge makes to put an event on the main bus before it goes to the DLQ. */
export const FORWARD_RETRY_ATTEMPTS = 185;
/** How old an event may be and still be forwarded (EventBridge's maximum). */
export const FORWARD_MAX_EVENT_AGE = Duration.hours(24);
/** The period the dead-letter alarm looks at. */
const ALARM_PERIOD = Duration.minutes(5);

/** A Region code such as eu-west-1 or us-gov-west-1. */
const REGION_CODE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The name of the forwarder stack of `region` for the main stack `stackName`. */
export function forwarderStackName(stackName: string, region: string): string {
  return `${stackName}-Forwarder-${region}`;
}

/**
 * The Regions of `-c forwarderRegions=eu-west-1,ap-southeast-2`, checked against the main Region.
 *
 * @throws Error when a Region is not a Region code, when forwarders are asked for and the main
 *   Region is unknown, or when the main Region is in the list.
 */
export function forwarderRegionsFrom(list: string | undefined, mainRegion: string | undefined): string[] {
  const regions = [
    ...new Set(
      (list ?? '')
        .split(',')
        .map((region) => region.trim())
        .filter((region) => region !== ''),
    ),
  ];
  if (regions.length === 0) return [];
  const invalid = regions.filter((region) => !REGION_CODE.test(region));
  if (invalid.length > 0) {
    throw new Error(`forwarderRegions: not Region codes: ${invalid.map((r) => `"${r}"`).join(', ')}`);
  }
  if (mainRegion === undefined || Token.isUnresolved(mainRegion)) {
    throw new Error(
      'forwarderRegions needs the main Region, where the forwarders send events: set CDK_DEFAULT_REGION (the CLI sets it from AWS_REGION or the profile) or pass -c region=<main Region>',
    );
  }
  if (regions.includes(mainRegion)) {
    throw new Error(
      `forwarderRegions lists ${mainRegion}, the main Region: the main stack's own rule covers it; list only the other Regions`,
    );
  }
  return regions;
}

/**
 * The main intake rule's pattern, from the shared constant as it is (`detail` untouched, content
 * filtering included), in the form CDK's Rule takes.
 *
 * @throws Error when the constant names a top-level field this function does not carry over,
 *   rather than forwarding a different set of events than the main rule matches.
 */
export function exposureEventPattern(): events.EventPattern {
  const pattern = structuredClone(EXPOSURE_EVENT_PATTERN);
  const carried = new Set(['source', 'detail-type', 'detail']);
  const others = Object.keys(pattern).filter((key) => !carried.has(key));
  if (others.length > 0) {
    throw new Error(`the forwarder does not carry over the event pattern field(s) ${others.join(', ')}`);
  }
  return { source: [...pattern.source], detailType: [...pattern['detail-type']], detail: pattern.detail };
}

/**
 * The event bus target with a retry policy: aws-events-targets' EventBus takes a role and a
 * dead-letter queue but no retry policy (aws/aws-cdk#28735), which CloudFormation accepts on any
 * target.
 */
class ForwardToBus implements events.IRuleTarget {
  private readonly target: targets.EventBus;

  constructor(bus: events.IEventBus, props: targets.EventBusProps) {
    this.target = new targets.EventBus(bus, props);
  }

  bind(rule: Parameters<events.IRuleTarget['bind']>[0], id?: string): events.RuleTargetConfig {
    return {
      ...this.target.bind(rule, id),
      retryPolicy: {
        maximumRetryAttempts: FORWARD_RETRY_ATTEMPTS,
        maximumEventAgeInSeconds: FORWARD_MAX_EVENT_AGE.toSeconds(),
      },
    };
  }
}

export interface ForwarderStackProps extends StackProps {
  /** Must name the Region this stack forwards from (a concrete Region, not the main one). */
  readonly env: { readonly account?: string; readonly region: string };
  /** The main Region: its default event bus receives the events. */
  readonly mainRegion: string;
  /**
   * Addresses paged by email when an event could not be forwarded (the configuration's
   * `operators.email`); each gets an email subscription to this Region's topic.
   * @default none: the alarm has no action
   */
  readonly operatorEmails?: readonly string[];
}

export class ForwarderStack extends Stack {
  readonly rule: events.Rule;
  /** The role EventBridge uses to put events on the main bus. */
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;
  /** This Region's operators' topic, when operator addresses are given. */
  readonly topic: sns.Topic | undefined;
  /** The main Region's default bus. */
  readonly mainBusArn: string;

  constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, props);
    const region = props.env.region;
    if (!REGION_CODE.test(region))
      throw new Error(`a ForwarderStack needs a Region code in env.region, not "${region}"`);
    if (!REGION_CODE.test(props.mainRegion)) {
      throw new Error(`a ForwarderStack needs the main Region as a Region code, not "${props.mainRegion}"`);
    }
    if (region === props.mainRegion) {
      throw new Error(`a ForwarderStack forwards to another Region: ${region} is the main Region`);
    }

    this.mainBusArn = `arn:${this.partition}:events:${props.mainRegion}:${this.account}:event-bus/default`;
    this.deadLetterQueue = deadLetterQueue(
      this,
      'DeadLetters',
      `the forwarder to ${props.mainRegion} (events EventBridge could not put on the main bus)`,
    );
    this.role = new iam.Role(this, 'Role', {
      description: `EventBridge: puts exposure events on the default bus of ${props.mainRegion}, nothing else`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: `S3 API calls (CloudTrail) that can change a bucket or object exposure, forwarded to ${props.mainRegion}`,
      eventPattern: exposureEventPattern(),
    });
    this.rule.addTarget(
      new ForwardToBus(events.EventBus.fromEventBusArn(this, 'MainBus', this.mainBusArn), {
        role: this.role,
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    this.alarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `An exposure event of ${region} could not be forwarded to ${props.mainRegion} and is in the dead-letter queue: replay it (the sweep also finds the bucket later).`,
    });
    const emails = props.operatorEmails ?? [];
    if (emails.length > 0) {
      const key = new kms.Key(this, 'OperatorsKey', {
        description: `S3 Exposure Responder: encrypts the operators topic of ${region}`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      // CloudWatch publishes alarm notifications to the encrypted topic with this key.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      this.topic = new sns.Topic(this, 'Operators', {
        displayName: `S3 Exposure Responder operators (${region})`,
        masterKey: key,
        enforceSSL: true,
      });
      for (const address of emails) this.topic.addSubscription(new subscriptions.EmailSubscription(address));
      this.alarm.addAlarmAction(new actions.SnsAction(this.topic));
    } else {
      this.topic = undefined;
    }

    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: `Events that could not be forwarded to ${props.mainRegion}`,
      value: this.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'DeadLettersAlarmName', {
      description:
        emails.length > 0
          ? 'Fires on any message in the dead-letter queue; emails the operators'
          : 'Fires on any message in the dead-letter queue; it has no action: wire it to a pager of this Region',
      value: this.alarm.alarmName,
    });
  }
}
