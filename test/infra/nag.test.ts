import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type PolicyViolation, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ForwarderStack } from '../../infra/forwarder-stack.js';
import { acknowledgeWildcard, flattenCfnValue, nagResource } from '../../infra/nag.js';
import { synthesize, synthesizeForwarder } from './support.js';

/** A finding as one line a reader can act on. */
function describeViolation(violation: PolicyViolation): string[] {
  return violation.violatingResources.map(
    (resource) => `${violation.ruleName} on ${resource.constructPath ?? resource.resourceLogicalId}`,
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('has no finding that is not acknowledged with a reason', () => {
    const { stack } = synthesize();
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.flatMap(describeViolation)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('has none either with chat configured, a configuration in SSM, a custom approval URL, reserved concurrency and the sender identity managed', () => {
    const base = synthesize();
    const { stack } = synthesize({
      config: {
        ...base.stack.config,
        chat: { channels: [{ name: 'sec-ops', kind: 'teams' }] },
        // Large enough for the SSM parameter form of the configuration.
        modes: {
          ...base.stack.config.modes,
          byBucket: Object.fromEntries(
            Array.from({ length: 80 }, (_, i) => [`acme-bucket-with-a-long-name-${i}`, 'approve' as const]),
          ),
        },
      },
      approvalBaseUrl: 'https://approvals.example.com',
      approvalPageReservedConcurrency: 5,
      manageSenderIdentity: true,
    });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.flatMap(describeViolation)).toEqual([]);
  });

  it('has none either with data events (every write that can carry an ACL, all Regions) and Object Lock on', () => {
    const { stack } = synthesize({
      dataEvents: { calls: 'writes', allRegions: true },
      evidenceObjectLockDays: 30,
    });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.flatMap(describeViolation)).toEqual([]);
  });

  it('has none with data events narrowed to some buckets, in a known account and Region', () => {
    const { stack } = synthesize({
      env: { account: '111122223333', region: 'eu-west-1' },
      dataEvents: { calls: 'acl', buckets: ['shared-assets'] },
    });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.flatMap(describeViolation)).toEqual([]);
  });

  it('has none on a forwarder stack, with or without the operators paged, in a known or unknown account', () => {
    for (const props of [
      {},
      { operatorEmails: ['ops@example.com'] },
      { env: { account: '111122223333', region: 'ap-southeast-2' } },
    ]) {
      const { stack } = synthesizeForwarder(props);
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.flatMap(describeViolation)).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  it('checks the forwarder stacks too when added to the app, as infra/app.ts adds it', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'nag-forwarder-')) });
    const forwarder = new ForwarderStack(app, 'Forwarder', {
      env: { region: 'eu-west-1' },
      mainRegion: 'us-east-1',
    });
    new sqs.Queue(forwarder, 'Unreviewed');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3[\s\S]*Forwarder\/Unreviewed/);
  });

  it('gives every acknowledgement a reason a reviewer can check', () => {
    const { stack } = synthesize();
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      )
      // CDK records an acknowledgement under its id prefixed with "Annotation::".
      .map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason] as const);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length, id).toBeGreaterThan(60);
    }
    // Wildcards are acknowledged one finding at a time, never the whole rule.
    expect(acknowledged.map(([id]) => id)).not.toContain('AwsSolutions-IAM5');
  });

  it('would report a wildcard resource nobody acknowledged', () => {
    const { stack } = synthesize();
    const role = new iam.Role(stack, 'Unreviewed', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::*/*'] }));
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.flatMap(describeViolation)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::*/*] on Responder/Unreviewed/DefaultPolicy/Resource',
    ]);
  });

  it('has none for a stack deployed to a known account and Region (findings name literal ARNs there)', () => {
    const { stack } = synthesize({ env: { account: '111122223333', region: 'eu-west-1' } });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.flatMap(describeViolation)).toEqual([]);
  });
});

describe('acknowledgeWildcard', () => {
  it('refuses a wildcard resource without a written reason', () => {
    const stack = new Stack();
    expect(() => acknowledgeWildcard(stack, `arn:${stack.partition}:s3:::*`, undefined)).toThrow(
      /has a wildcard and no written reason/,
    );
  });

  it('names a finding the way cdk-nag flattens the template', () => {
    const stack = new Stack();
    expect(nagResource(stack, `arn:${stack.partition}:s3:::*`)).toBe('arn:<AWS::Partition>:s3:::*');
    expect(flattenCfnValue({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/backups/*']] })).toBe(
      '<Bucket.Arn>/backups/*',
    );
  });
});
