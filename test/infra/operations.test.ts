import { type CfnElement, Duration } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
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
  const child = (construct.node.defaultChild ?? construct) as CfnElement;
  return synth.stack.getLogicalId(child);
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

  it("DeadLetters: a message in the rule target's dead-letter queue pages the operators", () => {
    const properties = alarmOf('DeadLetters');
    expect(properties).toMatchObject({
      ...atLeastOnceIn5Minutes,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
    });
    const dimensions = listOf(properties.Dimensions) as { Name: string; Value: unknown }[];
    expect(dimensions.map((d) => d.Name)).toEqual(['QueueName']);
    expect(referencedId(dimensions[0]?.Value)).toBe(logicalIdOf(synth.stack.intake.deadLetterQueue));
    expectToPageOperators(properties);
  });

  it('are these six and no others', () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    expect([...synth.stack.alarms.alarms.keys()].sort()).toEqual([
      'ApprovalPageErrors',
      'DeadLetters',
      'EmailFeedbackErrors',
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
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
