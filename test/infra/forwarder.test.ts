import { App, Aws } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  exposureEventPattern,
  ForwarderStack,
  forwarderRegionsFrom,
  forwarderStackName,
} from '../../infra/forwarder-stack.js';
import { EXPOSURE_EVENT_PATTERN } from '../../local/event-pattern.js';
import {
  actionsOf,
  listOf,
  ofType,
  referencedId,
  type Synthesized,
  statementsOf,
  statementsOfRole,
  synthesize,
  synthesizeForwarder,
} from './support.js';

let forwarder: Synthesized<ForwarderStack>;

beforeAll(() => {
  forwarder = synthesizeForwarder();
});

function forwardingRule() {
  const rules = Object.values(ofType(forwarder.resources, 'AWS::Events::Rule'));
  expect(rules).toHaveLength(1);
  return rules[0];
}

describe('the forwarder rule', () => {
  it('matches exactly what the main intake rule matches (the synthesized patterns are equal)', () => {
    const main = synthesize();
    const mainPattern = main.resources[main.idOf(main.stack.intake.rule)]?.Properties?.EventPattern;
    expect(mainPattern).toBeDefined();
    expect(forwardingRule()?.Properties?.EventPattern).toEqual(mainPattern);
  });

  it('is the shared constant as it is, content filtering included', () => {
    expect(forwardingRule()?.Properties?.EventPattern).toEqual(
      JSON.parse(JSON.stringify(EXPOSURE_EVENT_PATTERN)),
    );
    // A copy: the frozen constant is never handed to CDK.
    expect(exposureEventPattern().detail).not.toBe(EXPOSURE_EVENT_PATTERN.detail);
  });

  it("sends to the main Region's default bus with a role, retries for a day, then a dead-letter queue", () => {
    const rule = forwardingRule();
    expect(listOf(rule?.Properties?.Targets)).toEqual([
      expect.objectContaining({
        Arn: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':events:us-east-1:',
              { Ref: 'AWS::AccountId' },
              ':event-bus/default',
            ],
          ],
        },
        RoleArn: { 'Fn::GetAtt': [forwarder.idOf(forwarder.stack.role), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [forwarder.idOf(forwarder.stack.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      }),
    ]);
  });

  it('names the account and both Regions literally in a known environment', () => {
    const known = synthesizeForwarder({ env: { account: '111122223333', region: 'ap-southeast-2' } });
    expect(JSON.stringify(known.stack.resolve(known.stack.mainBusArn))).toContain(
      ':events:us-east-1:111122223333:event-bus/default',
    );
    expect(known.stack.region).toBe('ap-southeast-2');
  });
});

describe("the forwarder's role", () => {
  it('may only be assumed by EventBridge of this account', () => {
    const role = forwarder.resources[forwarder.idOf(forwarder.stack.role)];
    expect(statementsOf(role?.Properties?.AssumeRolePolicyDocument)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  it('may only put events on the main bus', () => {
    const statements = statementsOfRole(forwarder.resources, forwarder.idOf(forwarder.stack.role));
    expect(statements.flatMap(actionsOf)).toEqual(['events:PutEvents']);
    const [target] = listOf(forwardingRule()?.Properties?.Targets) as { Arn: unknown }[];
    expect(statements[0]?.Resource).toEqual(target?.Arn);
  });
});

describe("the forwarder's dead-letter queue", () => {
  it('is encrypted, TLS only, and writable by EventBridge for this rule', () => {
    const queueId = forwarder.idOf(forwarder.stack.deadLetterQueue);
    expect(forwarder.resources[queueId]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    const statements = Object.values(ofType(forwarder.resources, 'AWS::SQS::QueuePolicy'))
      .filter((policy) => listOf(policy.Properties?.Queues).some((queue) => referencedId(queue) === queueId))
      .flatMap((policy) => statementsOf(policy.Properties?.PolicyDocument));
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [forwarder.idOf(forwarder.stack.rule), 'Arn'] } },
        },
      }),
    );
  });

  it('has an alarm on any message, and outputs naming the queue and the alarm', () => {
    forwarder.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [forwarder.idOf(forwarder.stack.deadLetterQueue), 'QueueName'] },
        },
      ],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const outputs = forwarder.template.toJSON().Outputs as Record<
      string,
      { Value: unknown; Description?: string }
    >;
    expect(outputs.DeadLetterQueueUrl?.Value).toEqual({
      Ref: forwarder.idOf(forwarder.stack.deadLetterQueue),
    });
    expect(outputs.DeadLettersAlarmName?.Value).toEqual({ Ref: forwarder.idOf(forwarder.stack.alarm) });
    expect(outputs.DeadLettersAlarmName?.Description).toContain('no action');
  });

  it('has no topic and no alarm action without operator addresses', () => {
    expect(forwarder.stack.topic).toBeUndefined();
    expect(ofType(forwarder.resources, 'AWS::SNS::Topic')).toEqual({});
    expect(
      forwarder.resources[forwarder.idOf(forwarder.stack.alarm)]?.Properties?.AlarmActions,
    ).toBeUndefined();
  });

  it("emails the operators through this Region's encrypted, TLS-only topic when given their addresses", () => {
    const paged = synthesizeForwarder({ operatorEmails: ['ops@example.com', 'oncall@example.com'] });
    const topic = paged.stack.topic;
    if (!topic) throw new Error('no topic');
    const topicId = paged.idOf(topic);
    expect(paged.resources[paged.idOf(paged.stack.alarm)]?.Properties?.AlarmActions).toEqual([
      { Ref: topicId },
    ]);
    expect(paged.resources[topicId]?.Properties?.KmsMasterKeyId).toBeDefined();
    const endpoints = Object.values(ofType(paged.resources, 'AWS::SNS::Subscription')).map((s) => [
      s.Properties?.Protocol,
      s.Properties?.Endpoint,
    ]);
    expect(endpoints).toEqual([
      ['email', 'ops@example.com'],
      ['email', 'oncall@example.com'],
    ]);
    const topicStatements = Object.values(ofType(paged.resources, 'AWS::SNS::TopicPolicy')).flatMap(
      (policy) => statementsOf(policy.Properties?.PolicyDocument),
    );
    expect(topicStatements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('is light: a rule, a role, a queue and an alarm (a topic only when paging)', () => {
    expect(
      Object.values(forwarder.resources)
        .map((resource) => resource.Type)
        .sort(),
    ).toEqual([
      'AWS::CloudWatch::Alarm',
      'AWS::Events::Rule',
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::SQS::Queue',
      'AWS::SQS::QueuePolicy',
    ]);
  });
});

describe('forwarderRegionsFrom (-c forwarderRegions)', () => {
  it('reads a comma-separated list, once each', () => {
    expect(forwarderRegionsFrom(' eu-west-1,ap-southeast-2, eu-west-1,', 'us-east-1')).toEqual([
      'eu-west-1',
      'ap-southeast-2',
    ]);
    expect(forwarderRegionsFrom('us-gov-east-1', 'us-gov-west-1')).toEqual(['us-gov-east-1']);
  });

  it('is empty without the key, whether or not the main Region is known', () => {
    expect(forwarderRegionsFrom(undefined, undefined)).toEqual([]);
    expect(forwarderRegionsFrom('', 'us-east-1')).toEqual([]);
  });

  it('needs a known main Region', () => {
    expect(() => forwarderRegionsFrom('eu-west-1', undefined)).toThrow(
      /forwarderRegions needs the main Region.*CDK_DEFAULT_REGION.*-c region=/,
    );
  });

  it('refuses the main Region in the list, and what is not a Region code', () => {
    expect(() => forwarderRegionsFrom('eu-west-1,us-east-1', 'us-east-1')).toThrow(
      /forwarderRegions lists us-east-1, the main Region/,
    );
    expect(() => forwarderRegionsFrom('eu-west-1,Ireland', 'us-east-1')).toThrow(
      'forwarderRegions: not Region codes: "Ireland"',
    );
  });

  it('names each stack after the main stack and its Region', () => {
    expect(forwarderStackName('S3ExposureResponder', 'eu-west-1')).toBe(
      'S3ExposureResponder-Forwarder-eu-west-1',
    );
  });
});

describe('ForwarderStack', () => {
  it('refuses to forward to its own Region', () => {
    expect(
      () => new ForwarderStack(new App(), 'Loop', { env: { region: 'us-east-1' }, mainRegion: 'us-east-1' }),
    ).toThrow(/us-east-1 is the main Region/);
  });

  it('refuses a Region that is not a Region code (a token, for example)', () => {
    expect(
      () =>
        new ForwarderStack(new App(), 'Agnostic', {
          env: { region: Aws.REGION },
          mainRegion: 'us-east-1',
        }),
    ).toThrow(/needs a Region code in env.region/);
    expect(
      () => new ForwarderStack(new App(), 'NoMain', { env: { region: 'eu-west-1' }, mainRegion: '' }),
    ).toThrow(/needs the main Region as a Region code/);
  });
});
