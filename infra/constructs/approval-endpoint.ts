/**
 * The approval endpoint: the approval page's function behind a Lambda function URL.
 *
 * **Auth NONE, on purpose.** Approvers open the page from an email link in a browser; they have
 * no AWS credentials, so a URL with IAM auth could not be opened at all. The page authenticates
 * every request itself: the link carries an HMAC-SHA256 signature over the approval, the
 * approver and an expiry (keys in Secrets Manager); GET and HEAD never change anything; a
 * decision needs a POST with that signature, a CSRF token bound to the link key and the page's
 * own Origin, and is recorded with one conditional write. The function's role can only read and
 * decide approvals in the table and send the decision to this state machine.
 *
 * **Its own URL.** The page checks a POST's Origin against APPROVAL_BASE_URL, but a function URL
 * is only known once created, and a function cannot name its own URL in its environment (a
 * CloudFormation cycle). Unless `baseUrl` is given (a custom domain in front of the URL), a
 * custom resource sets the variable once the URL exists: it applies the function's whole
 * environment plus APPROVAL_BASE_URL with `lambda:UpdateFunctionConfiguration`, on this one
 * function only, and again whenever that environment changes.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { SERVICE_FUNCTIONS } from '../functions.js';
import type { SdkCall } from '../iam-actions.js';
import { ResponderFunction, type ScopeResources } from './responder-function.js';

export interface ApprovalEndpointProps {
  /** The page's environment without APPROVAL_BASE_URL (TABLE_NAME, APPROVAL_KEYS_SECRET). */
  readonly environment: Readonly<Record<string, string>>;
  readonly scopes: ScopeResources;
  /** Extra calls beyond the page's own (the key ring's GetSecretValue). */
  readonly extraCalls: readonly SdkCall[];
  /**
   * The URL approvers reach the page at, when something (a CloudFront distribution with a custom
   * domain) stands in front of the function URL.
   * @default the function URL, set on the function by a custom resource once it exists
   */
  readonly baseUrl?: string;
  /**
   * Reserved concurrency: a cap on what a flood of requests to the public URL can cost, and a
   * floor for approvals when the account's other functions are busy. An account's first
   * functions cannot reserve below the account's unreserved minimum, hence opt-in.
   * @default none
   */
  readonly reservedConcurrency?: number;
  readonly logRetention: logs.RetentionDays;
  readonly logKey: kms.IKey;
}

export class ApprovalEndpoint extends Construct {
  readonly page: ResponderFunction;
  readonly functionUrl: lambda.FunctionUrl;
  /** The URL links point at (APPROVAL_BASE_URL of the functions that sign them). */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: ApprovalEndpointProps) {
    super(scope, id);
    const spec = SERVICE_FUNCTIONS.ApprovalPage;
    this.page = new ResponderFunction(this, 'Page', {
      folder: spec.folder,
      description: spec.description,
      timeout: Duration.seconds(spec.timeoutSeconds),
      calls: [...spec.calls, ...props.extraCalls],
      scopes: props.scopes,
      environment: {
        ...props.environment,
        ...(props.baseUrl === undefined ? {} : { APPROVAL_BASE_URL: props.baseUrl }),
      },
      logRetention: props.logRetention,
      logKey: props.logKey,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
    });
    this.functionUrl = this.page.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    this.baseUrl = props.baseUrl ?? this.functionUrl.url;
    if (props.baseUrl === undefined) this.setOwnUrl(props);
  }

  private setOwnUrl(props: ApprovalEndpointProps): void {
    const fn = this.page.function;
    const logGroup = new logs.LogGroup(this, 'SetUrlLogs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
    });
    const role = new iam.Role(this, 'SetUrlRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Sets the approval page function URL in its own environment, nothing else',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'UpdateThePageOnly',
        actions: ['lambda:UpdateFunctionConfiguration'],
        resources: [fn.functionArn],
      }),
    );
    const call: cr.AwsSdkCall = {
      service: 'Lambda',
      action: 'updateFunctionConfiguration',
      parameters: {
        FunctionName: fn.functionName,
        Environment: { Variables: { ...this.page.environment, APPROVAL_BASE_URL: this.functionUrl.url } },
      },
      physicalResourceId: cr.PhysicalResourceId.of(`${Stack.of(this).stackName}-approval-page-url`),
      // The answer echoes the environment: nothing of it is needed, and none of it goes to the log.
      outputPaths: ['FunctionName'],
      logging: cr.Logging.withDataHidden(),
    };
    const setUrl = new cr.AwsCustomResource(this, 'SetUrl', {
      onCreate: call,
      onUpdate: call,
      role,
      logGroup,
      installLatestAwsSdk: false,
      timeout: Duration.minutes(2),
    });
    setUrl.node.addDependency(this.functionUrl);
  }
}
