import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmailDelivery } from '../../infra/constructs/email-delivery.js';
import { OperatorAlarms } from '../../infra/constructs/operator-alarms.js';
import {
  listOf,
  ofType,
  type Resources,
  referencedId,
  type Synthesized,
  statementsOf,
  statementsOfRole,
  synthesize,
} from './support.js';

let synth: Synthesized;
let resources: Resources;

beforeAll(() => {
  synth = synthesize();
  resources = synth.resources;
});

function logicalIdOf(construct: IConstruct): string {
  return synth.idOf(construct);
}

function functionIdOf(name: string): string {
  const fn = synth.stack.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return logicalIdOf(fn.function);
}

describe("the operators' topic", () => {
  it('is encrypted with a rotated customer managed key that CloudWatch may use', () => {
    const topicId = logicalIdOf(synth.stack.alarms.topic);
    const keyId = logicalIdOf(synth.stack.alarms.key);
    expect(referencedId(resources[topicId]?.Properties?.KmsMasterKeyId)).toBe(keyId);
    expect(resources[keyId]?.Properties?.EnableKeyRotation).toBe(true);
    const keyStatements = statementsOf(resources[keyId]?.Properties?.KeyPolicy);
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
  });

  it('accepts TLS requests only', () => {
    const topicId = logicalIdOf(synth.stack.alarms.topic);
    const policies = Object.values(ofType(resources, 'AWS::SNS::TopicPolicy')).filter((policy) =>
      listOf(policy.Properties?.Topics).some((topic) => referencedId(topic) === topicId),
    );
    expect(policies).toHaveLength(1);
    expect(statementsOf(policies[0]?.Properties?.PolicyDocument)).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('subscribes each operator address by email, unless told not to', () => {
    const topicId = logicalIdOf(synth.stack.alarms.topic);
    const emails = Object.values(ofType(resources, 'AWS::SNS::Subscription'))
      .filter((s) => s.Properties?.Protocol === 'email' && referencedId(s.Properties?.TopicArn) === topicId)
      .map((s) => s.Properties?.Endpoint);
    expect(emails).toEqual(synth.stack.config.operators.email);
    expect(emails.length).toBeGreaterThan(0);
    const quiet = synthesize({ subscribeOperatorEmails: false });
    expect(
      Object.values(ofType(quiet.resources, 'AWS::SNS::Subscription')).filter(
        (s) => s.Properties?.Protocol === 'email',
      ),
    ).toEqual([]);
  });
});

describe('the alarms', () => {
  const atLeastOnceIn5Minutes = {
    Threshold: 1,
    EvaluationPeriods: 1,
    Period: 300,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  };

  function alarmOf(name: string): Record<string, unknown> {
    const alarm = synth.stack.alarms.alarms.get(name);
    if (!alarm) throw new Error(`no alarm ${name}`);
    const properties = resources[logicalIdOf(alarm)]?.Properties;
    if (!properties) throw new Error(`alarm ${name} not in the template`);
    return properties;
  }

  function expectToPageOperators(properties: Record<string, unknown>): void {
    const actions = listOf(properties.AlarmActions);
    expect(actions).toHaveLength(1);
    expect(referencedId(actions[0])).toBe(logicalIdOf(synth.stack.alarms.topic));
  }

  it.each([
    ['ExecutionsFailed', 'ExecutionsFailed'],
    ['ExecutionsTimedOut', 'ExecutionsTimedOut'],
    ['ExecutionsAborted', 'ExecutionsAborted'],
  ])('%s: any execution %s in 5 minutes pages the operators', (name, metric) => {
    const properties = alarmOf(name);
    expect(properties).toMatchObject({
      ...atLeastOnceIn5Minutes,
      Namespace: 'AWS/States',
      MetricName: metric,
      Statistic: 'Sum',
    });
    const dimensions = listOf(properties.Dimensions) as { Name: string; Value: unknown }[];
    expect(dimensions.map((d) => d.Name)).toEqual(['StateMachineArn']);
    expect(referencedId(dimensions[0]?.Value)).toBe(logicalIdOf(synth.stack.workflow.stateMachine));
    expectToPageOperators(properties);
  });

  it.each([
    ['ApprovalPageErrors', 'ApprovalPage'],
    ['EmailFeedbackErrors', 'EmailFeedback'],
    ['SweepErrors', 'Sweep'],
  ])('%s: any error of the %s function pages the operators', (name, fn) => {
    const properties = alarmOf(name);
    expect(properties).toMatchObject({
      ...atLeastOnceIn5Minutes,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
    });
    const dimensions = listOf(properties.Dimensions) as { Name: string; Value: unknown }[];
    expect(dimensions.map((d) => d.Name)).toEqual(['FunctionName']);
    expect(referencedId(dimensions[0]?.Value)).toBe(functionIdOf(fn));
    expectToPageOperators(properties);
  });

  it.each([
    ['DeadLetters', 'the rule target', () => synth.stack.intake.deadLetterQueue],
    ['SweepDeadLetters', 'the sweep schedule', () => synth.stack.sweepSchedule.deadLetterQueue],
    ['EmailFeedbackDeadLetters', 'the SES feedback subscription', () => synth.stack.email.deadLetterQueue],
  ])("%s: a message in %s's dead-letter queue pages the operators", (name, _what, queue) => {
    const properties = alarmOf(name);
    expect(properties).toMatchObject({
      ...atLeastOnceIn5Minutes,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
    });
    const dimensions = listOf(properties.Dimensions) as { Name: string; Value: unknown }[];
    expect(dimensions.map((d) => d.Name)).toEqual(['QueueName']);
    expect(referencedId(dimensions[0]?.Value)).toBe(logicalIdOf(queue()));
    expectToPageOperators(properties);
  });

  it('are these nine and no others', () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    expect([...synth.stack.alarms.alarms.keys()].sort()).toEqual([
      'ApprovalPageErrors',
      'DeadLetters',
      'EmailFeedbackDeadLetters',
      'EmailFeedbackErrors',
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'SweepDeadLetters',
      'SweepErrors',
    ]);
  });
});

describe('the sweep schedule', () => {
  function scheduleOf(s: Synthesized): Record<string, unknown> {
    const schedules = Object.values(ofType(s.resources, 'AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(1);
    return schedules[0]?.Properties ?? {};
  }

  it('invokes the sweep function every six hours with the scheduled time as the sweep id', () => {
    const schedule = scheduleOf(synth);
    expect(schedule).toMatchObject({ ScheduleExpression: 'rate(6 hours)', State: 'ENABLED' });
    const target = schedule.Target as Record<string, unknown>;
    expect(referencedId(target.Arn)).toBe(functionIdOf('Sweep'));
    expect(JSON.parse(String(target.Input))).toEqual({ sweepId: '<aws.scheduler.scheduled-time>' });
  });

  it('runs as often as the sweepInterval prop says', () => {
    expect(scheduleOf(synthesize({ sweepInterval: Duration.hours(1) }))).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
    });
  });

  it('retries delivery, then keeps the run in an encrypted, TLS-only dead-letter queue', () => {
    const target = scheduleOf(synth).Target as Record<string, unknown>;
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 });
    const queueId = logicalIdOf(synth.stack.sweepSchedule.deadLetterQueue);
    expect(referencedId((target.DeadLetterConfig as Record<string, unknown>).Arn)).toBe(queueId);
    expect(resources[queueId]?.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    const policies = Object.values(ofType(resources, 'AWS::SQS::QueuePolicy')).filter((p) =>
      listOf(p.Properties?.Queues).some((q) => referencedId(q) === queueId),
    );
    expect(statementsOf(policies[0]?.Properties?.PolicyDocument)).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('runs as a role Scheduler of this account assumes, which may only invoke the sweep and write its DLQ', () => {
    const target = scheduleOf(synth).Target as Record<string, unknown>;
    const roleId = referencedId(target.RoleArn) ?? '';
    expect(roleId).toBe(logicalIdOf(synth.stack.sweepSchedule.role));
    const trust = statementsOf(resources[roleId]?.Properties?.AssumeRolePolicyDocument);
    expect(trust).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    const statements = statementsOfRole(resources, roleId);
    expect(statements.map((s) => [s.Action, referencedId(s.Resource)])).toEqual([
      ['lambda:InvokeFunction', functionIdOf('Sweep')],
      ['sqs:SendMessage', logicalIdOf(synth.stack.sweepSchedule.deadLetterQueue)],
    ]);
  });
});

describe('SES delivery feedback', () => {
  function only(s: Synthesized, type: string): [string, Record<string, unknown>] {
    const found = Object.entries(ofType(s.resources, type));
    expect(found, type).toHaveLength(1);
    const [id, resource] = found[0] ?? ['', {}];
    return [id, (resource as { Properties?: Record<string, unknown> }).Properties ?? {}];
  }

  it('has a configuration set that requires TLS', () => {
    const [, set] = only(synth, 'AWS::SES::ConfigurationSet');
    expect(set).toMatchObject({ DeliveryOptions: { TlsPolicy: 'REQUIRE' } });
  });

  it('sends bounces, complaints and rejects to an encrypted, TLS-only topic only SES of this set may publish to', () => {
    const [setId] = only(synth, 'AWS::SES::ConfigurationSet');
    const [, destination] = only(synth, 'AWS::SES::ConfigurationSetEventDestination');
    expect(referencedId(destination.ConfigurationSetName)).toBe(setId);
    const event = destination.EventDestination as Record<string, unknown>;
    expect(event).toMatchObject({ Enabled: true, MatchingEventTypes: ['bounce', 'complaint', 'reject'] });
    const topicId = logicalIdOf(synth.stack.email.topic);
    expect(referencedId((event.SnsDestination as Record<string, unknown>).TopicARN)).toBe(topicId);
    const keyId = logicalIdOf(synth.stack.email.key);
    expect(referencedId(resources[topicId]?.Properties?.KmsMasterKeyId)).toBe(keyId);
    expect(resources[keyId]?.Properties?.EnableKeyRotation).toBe(true);
    expect(statementsOf(resources[keyId]?.Properties?.KeyPolicy)).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'ses.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
    const policy = Object.values(ofType(resources, 'AWS::SNS::TopicPolicy')).find((p) =>
      listOf(p.Properties?.Topics).some((t) => referencedId(t) === topicId),
    );
    const statements = statementsOf(policy?.Properties?.PolicyDocument);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const allowed = statements.filter((s) => s.Effect === 'Allow');
    expect(allowed).toHaveLength(1);
    expect(allowed[0]).toMatchObject({ Principal: { Service: 'ses.amazonaws.com' }, Action: 'sns:Publish' });
    expect(JSON.stringify(allowed[0]?.Condition)).toContain(setId);
  });

  it('delivers the topic to the email-feedback function (and nothing else)', () => {
    const topicId = logicalIdOf(synth.stack.email.topic);
    const subscriptions = Object.values(ofType(resources, 'AWS::SNS::Subscription')).filter(
      (s) => referencedId(s.Properties?.TopicArn) === topicId,
    );
    expect(subscriptions.map((s) => [s.Properties?.Protocol, referencedId(s.Properties?.Endpoint)])).toEqual([
      ['lambda', functionIdOf('EmailFeedback')],
    ]);
    const permissions = Object.values(ofType(resources, 'AWS::Lambda::Permission')).filter(
      (p) => p.Properties?.Principal === 'sns.amazonaws.com',
    );
    expect(permissions).toHaveLength(1);
    expect(referencedId(permissions[0]?.Properties?.SourceArn)).toBe(topicId);
    expect(referencedId(permissions[0]?.Properties?.FunctionName)).toBe(functionIdOf('EmailFeedback'));
  });

  it('keeps what SNS cannot deliver to the function in an encrypted, TLS-only dead-letter queue', () => {
    const topicId = logicalIdOf(synth.stack.email.topic);
    const queueId = logicalIdOf(synth.stack.email.deadLetterQueue);
    const [subscription] = Object.values(ofType(resources, 'AWS::SNS::Subscription')).filter(
      (s) => s.Properties?.Protocol === 'lambda' && referencedId(s.Properties?.TopicArn) === topicId,
    );
    const redrive = subscription?.Properties?.RedrivePolicy as Record<string, unknown> | undefined;
    expect(referencedId(redrive?.deadLetterTargetArn)).toBe(queueId);
    expect(resources[queueId]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    const policies = Object.values(ofType(resources, 'AWS::SQS::QueuePolicy')).filter((p) =>
      listOf(p.Properties?.Queues).some((q) => referencedId(q) === queueId),
    );
    expect(policies).toHaveLength(1);
    const statements = statementsOf(policies[0]?.Properties?.PolicyDocument);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    // SNS may send to it, for this topic only.
    const allowed = statements.filter((s) => s.Effect === 'Allow');
    expect(allowed).toHaveLength(1);
    expect(allowed[0]).toMatchObject({
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
    });
    expect(referencedId(allowed[0]?.Resource)).toBe(queueId);
    const condition = allowed[0]?.Condition as { ArnEquals?: Record<string, unknown> } | undefined;
    expect(referencedId(condition?.ArnEquals?.['aws:SourceArn'])).toBe(topicId);
  });

  it('leaves the sender identity alone by default and says how to set its default configuration set', () => {
    expect(Object.keys(ofType(resources, 'AWS::SES::EmailIdentity'))).toEqual([]);
    const output = synth.template.toJSON().Outputs.SenderIdentitySetup as { Value: unknown };
    const command = JSON.stringify(output.Value);
    expect(command).toContain('aws sesv2 put-email-identity-configuration-set-attributes');
    expect(command).toContain(`--email-identity ${synth.stack.config.sender}`);
    expect(command).toContain(logicalIdOf(synth.stack.email.configurationSet));
  });

  it('with manageSenderIdentity, creates the sender identity with the set as its default', () => {
    const managed = synthesize({ manageSenderIdentity: true });
    const [setId] = only(managed, 'AWS::SES::ConfigurationSet');
    const [, identity] = only(managed, 'AWS::SES::EmailIdentity');
    expect(identity.EmailIdentity).toBe(managed.stack.config.sender);
    expect(
      referencedId((identity.ConfigurationSetAttributes as Record<string, unknown>).ConfigurationSetName),
    ).toBe(setId);
    expect(managed.template.toJSON().Outputs.SenderIdentitySetup).toBeUndefined();
  });

  it('lets every function that sends email send through the set, as the configured sender only', () => {
    const [setId] = only(synth, 'AWS::SES::ConfigurationSet');
    const senders = [...synth.stack.functions.entries()].filter(([, fn]) =>
      statementsOfRole(resources, logicalIdOf(fn.role)).some((s) => s.Action === 'ses:SendEmail'),
    );
    expect(senders.map(([name]) => name)).toContain('EmailFeedback');
    expect(senders.length).toBeGreaterThan(5);
    for (const [name, fn] of senders) {
      const statement = statementsOfRole(resources, logicalIdOf(fn.role)).find(
        (s) => s.Action === 'ses:SendEmail',
      );
      const resourcesOf = listOf(statement?.Resource).map((r) => JSON.stringify(r));
      expect(resourcesOf, name).toHaveLength(2);
      expect(resourcesOf[0], name).toContain(':identity/*');
      expect(resourcesOf[1], name).toContain(':configuration-set/');
      expect(resourcesOf[1], name).toContain(setId);
      expect(statement?.Condition, name).toEqual({
        StringEquals: { 'ses:FromAddress': synth.stack.config.sender },
      });
    }
  });
});

describe("the alarm on the SES feedback subscription's dead-letter queue", () => {
  /** OperatorAlarms alone in a small stack, with the EmailDelivery queue the stack would pass it. */
  function alarmsStack(withFeedbackQueue: boolean): {
    stack: Stack;
    alarms: OperatorAlarms;
    email: EmailDelivery;
  } {
    const stack = new Stack(new App(), 'Alarms', { env: { account: '111122223333', region: 'us-east-1' } });
    const email = new EmailDelivery(stack, 'Email', {
      sender: 'responder@example.com',
      manageSenderIdentity: false,
    });
    const fn = (name: string) =>
      lambda.Function.fromFunctionArn(stack, name, `arn:aws:lambda:us-east-1:111122223333:function:${name}`);
    const queue = (name: string) =>
      sqs.Queue.fromQueueArn(stack, name, `arn:aws:sqs:us-east-1:111122223333:${name}`);
    const alarms = new OperatorAlarms(stack, 'Operators', {
      operatorEmails: [],
      subscribeOperators: false,
      stateMachine: sfn.StateMachine.fromStateMachineArn(
        stack,
        'Workflow',
        'arn:aws:states:us-east-1:111122223333:stateMachine:responder',
      ),
      approvalPage: fn('ApprovalPage'),
      emailFeedback: fn('EmailFeedback'),
      // The other two queues are imported, so the alarm can only name the feedback queue by id.
      deadLetterQueue: queue('rule-dead-letters'),
      sweep: fn('Sweep'),
      sweepDeadLetterQueue: queue('sweep-dead-letters'),
      ...(withFeedbackQueue ? { emailFeedbackDeadLetterQueue: email.deadLetterQueue } : {}),
    });
    return { stack, alarms, email };
  }

  const idOf = (stack: Stack, construct: IConstruct) =>
    stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

  it('pages the operators on any message in the queue, when the queue is given', () => {
    const { stack, alarms, email } = alarmsStack(true);
    const alarm = alarms.alarms.get('EmailFeedbackDeadLetters');
    if (!alarm) throw new Error('no EmailFeedbackDeadLetters alarm');
    const properties = (Template.fromStack(stack).toJSON().Resources as Resources)[idOf(stack, alarm)]
      ?.Properties;
    expect(properties).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 1,
      Period: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
    });
    const dimensions = listOf(properties?.Dimensions) as { Name: string; Value: unknown }[];
    expect(dimensions.map((d) => d.Name)).toEqual(['QueueName']);
    expect(referencedId(dimensions[0]?.Value)).toBe(idOf(stack, email.deadLetterQueue));
    const actions = listOf(properties?.AlarmActions);
    expect(actions).toHaveLength(1);
    expect(referencedId(actions[0])).toBe(idOf(stack, alarms.topic));
    expect(alarms.alarms.size).toBe(9);
  });

  it('is not there without the queue (the eight other alarms are)', () => {
    const { stack, alarms } = alarmsStack(false);
    expect(alarms.alarms.has('EmailFeedbackDeadLetters')).toBe(false);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 8);
  });
});
