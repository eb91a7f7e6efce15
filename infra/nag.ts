/**
 * cdk-nag acknowledgements, made where the resource is defined, each with its reason. cdk-nag 3
 * names a wildcard finding after the resource it saw (`AwsSolutions-IAM5[Resource::<X.Arn>/*]`),
 * so the finding's id is computed here the way cdk-nag flattens a CloudFormation value, from the
 * resource as the stack resolves it: the acknowledgement follows the resource, whether the
 * stack is environment-agnostic (`<AWS::Partition>`) or deployed to a known account and Region.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A CloudFormation value as one string, as cdk-nag writes it in a finding's id. */
export function flattenCfnValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    const join = node['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flattenCfnValue).join(delimiter);
    }
    if (node['Fn::Sub'] !== undefined) return flattenCfnValue(node['Fn::Sub']);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenCfnValue(getAtt[0])}.${flattenCfnValue(getAtt[1])}>`;
    if (node['Fn::ImportValue'] !== undefined) return flattenCfnValue(node['Fn::ImportValue']);
    if (node.Ref !== undefined) return `<${flattenCfnValue(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** The resource as cdk-nag will see it in the synthesized template. */
export function nagResource(scope: IConstruct, resource: string): string {
  return flattenCfnValue(Stack.of(scope).resolve(resource));
}

/** Acknowledges one finding on `scope` (and everything under it), with the reason it is accepted. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges the IAM5 finding a wildcard resource raises, when it has one.
 *
 * @throws Error when the resource has a wildcard and no reason is given: every wildcard in a
 *   policy is there on purpose, and says why.
 */
export function acknowledgeWildcard(scope: IConstruct, resource: string, reason: string | undefined): void {
  const flat = nagResource(scope, resource);
  if (!flat.includes('*')) return;
  if (!reason) throw new Error(`the policy resource ${flat} has a wildcard and no written reason`);
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
}
