/**
 * One of the responder's functions, with the defaults every one of them shares: an esbuild ESM
 * bundle of its `tasks/<folder>/handler.ts` (the AWS SDK bundled in, so what runs is the SDK the
 * tests ran), arm64 on Node 22, its own log group (retention set, encrypted with the stack's
 * log key), its own role holding exactly the actions its calls need (no managed policies), and
 * the Powertools environment.
 */
import type { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type CallPermission, IAM_ACTIONS, type ResourceScope, type SdkCall } from '../iam-actions.js';
import { acknowledge, acknowledgeWildcard } from '../nag.js';
import { PROJECT_ROOT, projectFile } from '../paths.js';

/** The service name Powertools Logger writes on every record (the code's logger uses the same). */
export const POWERTOOLS_SERVICE_NAME = 's3-exposure-responder';

/**
 * ESM output cannot `require`, but some bundled CommonJS dependencies do (Node built-ins): the
 * banner gives the bundle a `require` made for it.
 */
const REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** What one resource scope of `iam-actions.ts` stands for in this stack. */
export interface ScopeResource {
  readonly resources: readonly string[];
  readonly conditions?: iam.Conditions;
  /** Why a wildcard in `resources` is needed (the cdk-nag IAM5 acknowledgement); required when there is one. */
  readonly wildcardReason?: string;
}

/** The ARNs (and conditions) each resource scope stands for in this stack; unset: not available here. */
export type ScopeResources = Readonly<Record<ResourceScope, ScopeResource | undefined>>;

export interface ResponderFunctionProps {
  /** The folder under `tasks/` whose `handler.ts` exports `handler`. */
  readonly folder: string;
  readonly description: string;
  readonly timeout: Duration;
  /** @default 512 */
  readonly memoryMiB?: number;
  /** The calls the code sends; the role gets exactly their actions. */
  readonly calls: readonly SdkCall[];
  /** What each scope means in this stack; a call whose scope is unset here fails the synth. */
  readonly scopes: ScopeResources;
  /** The environment the code reads (`tasks/shared/lambda.ts`), beside the Powertools settings. */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly logKey: kms.IKey;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
}

/** One responder function with its log group and its least-privilege role. */
export class ResponderFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The environment as set on the function (the approval endpoint re-applies it with its own URL). */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ResponderFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: the AWS calls its code sends, nothing else`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    for (const { statement, wildcardReason } of statementsFor(props.calls, props.scopes)) {
      this.role.addToPolicy(statement);
      for (const resource of statement.resources) acknowledgeWildcard(this.role, resource, wildcardReason);
    }

    this.environment = {
      POWERTOOLS_SERVICE_NAME,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...props.environment,
    };
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: projectFile(`tasks/${props.folder}/handler.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: projectFile('package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMiB ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      environment: this.environment,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: REQUIRE_BANNER,
        bundleAwsSDK: true,
        minify: true,
        // Error classes set their names as literals, but readable stack traces need the rest.
        keepNames: true,
        sourceMap: false,
      },
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime this code is written and tested for (DESIGN.md: Lambda runs Node 22, local runs Node 20); moving to a newer runtime is a deliberate change with its own test run, not a default that shifts under a deployment.',
    );
  }
}

/**
 * The policy statements for a list of calls: one statement per resource scope, its actions each
 * once and sorted, so a role reads as a short list a person can check against the code.
 */
export function statementsFor(
  calls: readonly SdkCall[],
  scopes: ScopeResources,
): { statement: iam.PolicyStatement; wildcardReason: string | undefined }[] {
  const byScope = new Map<ResourceScope, Set<string>>();
  for (const call of calls) {
    const permission: CallPermission = IAM_ACTIONS[call];
    const actions = byScope.get(permission.scope) ?? new Set<string>();
    for (const action of permission.actions) actions.add(action);
    byScope.set(permission.scope, actions);
  }
  return [...byScope.entries()].map(([scope, actions]) => {
    const target = scopes[scope];
    if (!target) {
      throw new Error(
        `calls ${calls.filter((c) => IAM_ACTIONS[c].scope === scope).join(', ')} need scope ${scope}, which this stack does not define`,
      );
    }
    const statement = new iam.PolicyStatement({
      sid: sidOf(scope),
      actions: [...actions].sort(),
      resources: [...target.resources],
      ...(target.conditions ? { conditions: target.conditions } : {}),
    });
    return { statement, wildcardReason: target.wildcardReason };
  });
}

function sidOf(scope: ResourceScope): string {
  return scope.charAt(0).toUpperCase() + scope.slice(1);
}

/** The scopes every stack defines the same way, from its partition, Region and account. */
export function standardScopes(
  stack: Stack,
): Pick<
  ScopeResources,
  'anyBucket' | 'anyObject' | 'noResourceType' | 'securityHub' | 'securityHubProduct' | 'macieJobs'
> {
  const { partition, region, account } = stack;
  return {
    anyBucket: {
      resources: [`arn:${partition}:s3:::*`],
      wildcardReason:
        'The responder reads, and in mode auto or after an approval fixes, whichever bucket of the account an event names; bucket names are not known at deploy time. Only the reads and fixes in infra/iam-actions.ts, and every call names the account as ExpectedBucketOwner.',
    },
    anyObject: {
      resources: [`arn:${partition}:s3:::*/*`],
      wildcardReason:
        'Object ACLs of whichever objects an event or an incident names (GetObjectAcl to classify, PutObjectAcl to fix a public grant); keys are not known at deploy time.',
    },
    noResourceType: {
      resources: ['*'],
      wildcardReason:
        'These actions have no resource type in IAM (s3:ListAllMyBuckets, s3:GetAccountPublicAccessBlock, macie2:ListFindings, macie2:GetFindings): "*" is the only resource they accept.',
    },
    securityHub: { resources: [`arn:${partition}:securityhub:${region}:${account}:hub/default`] },
    securityHubProduct: {
      resources: [`arn:${partition}:securityhub:${region}:${account}:product/${account}/default`],
    },
    // Macie runs where the bucket is: a job in any Region of this account.
    macieJobs: {
      resources: [`arn:${partition}:macie2:*:${account}:classification-job/*`],
      wildcardReason:
        "Each scan is a new one-time Macie classification job whose id Macie assigns, in the bucket's Region; only jobs of this account.",
    },
  };
}
