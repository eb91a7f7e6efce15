/**
 * The stack as the infra tests see it: synthesized with the sample configuration, bundling
 * skipped (`aws:cdk:bundling-stacks: []`, so a synth takes about a second and needs no esbuild
 * run), and aws-cdk-lib's own template validation on, as `cdk.json` sets it for `npm run synth`.
 */
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { ForwarderStack, type ForwarderStackProps } from '../../infra/forwarder-stack.js';
import { ResponderStack, type ResponderStackProps } from '../../infra/stack.js';
import { defaultConfig } from '../../local/defaults.js';

/** Template resources of one type, by logical id. */
export type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }
>;

export interface Synthesized<S extends Stack = ResponderStack> {
  readonly stack: S;
  readonly template: Template;
  readonly resources: Resources;
  /** The logical id of a construct's CloudFormation resource (its default child, or itself). */
  readonly idOf: (construct: IConstruct) => string;
}

function testApp(): App {
  return new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      '@aws-cdk/core:validateAgainstDefaultRules': true,
    },
  });
}

function synthesized<S extends Stack>(stack: S): Synthesized<S> {
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;
  const idOf = (construct: IConstruct) =>
    stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
  return { stack, template, resources, idOf };
}

/** A fresh app with one ResponderStack; `props` override the sample configuration's defaults. */
export function synthesize(props: Partial<ResponderStackProps> = {}): Synthesized {
  return synthesized(new ResponderStack(testApp(), 'Responder', { config: defaultConfig(), ...props }));
}

/**
 * A fresh app with one ForwarderStack, forwarding from eu-west-1 to us-east-1 unless `props`
 * say otherwise.
 */
export function synthesizeForwarder(props: Partial<ForwarderStackProps> = {}): Synthesized<ForwarderStack> {
  return synthesized(
    new ForwarderStack(testApp(), 'Forwarder', {
      env: { region: 'eu-west-1' },
      mainRegion: 'us-east-1',
      ...props,
    }),
  );
}

/** The resources of one CloudFormation type, by logical id. */
export function ofType(resources: Resources, type: string): Resources {
  return Object.fromEntries(Object.entries(resources).filter(([, resource]) => resource.Type === type));
}

/** A bucket's properties where the responder keeps data: no public access, versioned, SSE-S3, ACLs disabled. */
export const LOCKED_DOWN_BUCKET_PROPERTIES = {
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
  VersioningConfiguration: { Status: 'Enabled' },
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
  },
  OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
};

/** `{ "Ref": id }` or `{ "Fn::GetAtt": [id, …] }` -> id. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const node = value as Record<string, unknown>;
  if (typeof node.Ref === 'string') return node.Ref;
  const getAtt = node['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** The bucket policies of the bucket with logical id `bucketId`, by logical id. */
export function bucketPoliciesOf(resources: Resources, bucketId: string): Resources {
  return Object.fromEntries(
    Object.entries(ofType(resources, 'AWS::S3::BucketPolicy')).filter(
      ([, policy]) => referencedId(policy.Properties?.Bucket) === bucketId,
    ),
  );
}

/** The policy statements attached to a role: its inline policies and the AWS::IAM::Policy resources naming it. */
export function statementsOfRole(resources: Resources, roleId: string): Record<string, unknown>[] {
  const statements: Record<string, unknown>[] = [];
  const role = resources[roleId];
  const inline = (role?.Properties?.Policies ?? []) as {
    PolicyDocument: { Statement: Record<string, unknown>[] };
  }[];
  for (const policy of inline) statements.push(...policy.PolicyDocument.Statement);
  for (const policy of Object.values(ofType(resources, 'AWS::IAM::Policy'))) {
    const roles = (policy.Properties?.Roles ?? []) as unknown[];
    if (!roles.some((ref) => referencedId(ref) === roleId)) continue;
    const document = policy.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] };
    statements.push(...document.Statement);
  }
  return statements;
}

/** A statement's actions as a list. */
export function actionsOf(statement: Record<string, unknown>): string[] {
  const action = statement.Action;
  return Array.isArray(action) ? action.map(String) : [String(action)];
}

/** A policy document's statements. */
export function statementsOf(document: unknown): Record<string, unknown>[] {
  const statements = (document as { Statement?: unknown } | undefined)?.Statement;
  return Array.isArray(statements) ? (statements as Record<string, unknown>[]) : [];
}

/** A function resource's environment variables. */
export function variablesOf(fn: Resources[string] | undefined): Record<string, unknown> {
  const environment = fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return environment?.Variables ?? {};
}

/** A property that holds a list, as a list (empty when absent). */
export function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
