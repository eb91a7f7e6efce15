/**
 * The approval key ring's scheduled rotation, on ResponderSecrets alone in a small stack: the
 * schedule, the rotation function's role (the four calls of the rotation contract, on the keys
 * secret only), and Secrets Manager's permission to invoke it.
 */
import { App, type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  type ApprovalKeyRotationProps,
  KEY_ROTATION_CALLS,
  ResponderSecrets,
} from '../../infra/constructs/responder-secrets.js';
import { actionsFor } from '../../infra/iam-actions.js';
import { actionsOf, ofType, type Resources, statementsOfRole } from './support.js';

/** ResponderSecrets in a stack of its own, with rotation (these props over a one-day TTL) or without. */
function synthesize(rotation: Partial<ApprovalKeyRotationProps> | 'off' = {}) {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true },
  });
  const stack = new Stack(app, 'Keys');
  const logKey = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
  const secrets = new ResponderSecrets(
    stack,
    'Secrets',
    rotation === 'off'
      ? {}
      : {
          approvalKeyRotation: {
            approvalTtl: Duration.days(1),
            logRetention: logs.RetentionDays.ONE_YEAR,
            logKey,
            ...rotation,
          },
        },
  );
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;
  const idOf = (construct: IConstruct) =>
    stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
  return { stack, secrets, template, resources, idOf };
}

describe('the key ring rotation', () => {
  const synth = synthesize();
  const { secrets, resources, idOf } = synth;
  const secretId = idOf(secrets.approvalKeys);
  const rotation = secrets.rotationFunction;
  if (!rotation) throw new Error('rotation is on by default in these props');
  const functionId = idOf(rotation.function);

  it('rotates the keys secret through the rotation function every 30 days, never at once on a change', () => {
    const schedules = Object.values(ofType(resources, 'AWS::SecretsManager::RotationSchedule'));
    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.Properties).toEqual({
      SecretId: { Ref: secretId },
      RotationLambdaARN: { 'Fn::GetAtt': [functionId, 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
  });

  it('lets Secrets Manager invoke the function for this account only, before the schedule is set', () => {
    const permissions = ofType(resources, 'AWS::Lambda::Permission');
    const entries = Object.entries(permissions);
    expect(entries).toHaveLength(1);
    const [permissionId, permission] = entries[0] ?? [];
    expect(permission?.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    const schedule = Object.values(ofType(resources, 'AWS::SecretsManager::RotationSchedule'))[0];
    expect(schedule?.DependsOn).toContain(permissionId);
  });

  it("gives the function's role exactly the four calls of the rotation contract, on the keys secret only", () => {
    const statements = statementsOfRole(resources, idOf(rotation.role));
    const secretStatements = statements.filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Resource: { Ref: secretId },
      }),
    ]);
    expect(actionsFor(KEY_ROTATION_CALLS)).toEqual(secretStatements.flatMap(actionsOf));
    // Nothing else but its own log group: no GetRandomPassword on "*" (the code makes its keys).
    expect([...new Set(statements.flatMap(actionsOf))].sort()).toEqual(
      ['logs:CreateLogStream', 'logs:PutLogEvents', ...actionsFor(KEY_ROTATION_CALLS)].sort(),
    );
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  it('builds the function like the others: Node 22 on arm64, its own log group', () => {
    expect(resources[functionId]?.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 30,
    });
  });

  it('leaves no cdk-nag finding, SMG4 included, without acknowledging it', () => {
    const report = new AwsSolutionsChecks().validateScope(synth.stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    const acknowledged = secrets.approvalKeys.node.metadata.filter(
      (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
    );
    expect(acknowledged).toEqual([]);
  });
});

describe('the rotation interval', () => {
  it('may be set', () => {
    const { template } = synthesize({ after: Duration.days(90) });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(90 days)' },
    });
  });

  it('must outlast the longest link (TTL and a week for status links), a day (the rotation window) and five minutes (the cache)', () => {
    // The longest TTL the configuration allows, 7 days, needs 7 + 7 + 1 days and 5 minutes: 16 whole days.
    expect(() => synthesize({ approvalTtl: Duration.days(7), after: Duration.days(16) })).not.toThrow();
    expect(() => synthesize({ approvalTtl: Duration.days(7), after: Duration.days(15) })).toThrow(
      /approval key rotation every 15 days: must be 16 to 1000 days\. The ring keeps one previous key/,
    );
    // The default TTL (one day) needs 10 days.
    expect(() => synthesize({ after: Duration.days(9) })).toThrow(/must be 10 to 1000 days/);
    expect(() => synthesize({ after: Duration.days(1001) })).toThrow(/must be 10 to 1000 days/);
  });
});

describe('without rotation', () => {
  it('has no schedule and no function, and acknowledges SMG4 with the reason', () => {
    const { secrets, resources, stack } = synthesize('off');
    expect(secrets.rotationFunction).toBeUndefined();
    expect(ofType(resources, 'AWS::SecretsManager::RotationSchedule')).toEqual({});
    expect(ofType(resources, 'AWS::Lambda::Function')).toEqual({});
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
  });
});
