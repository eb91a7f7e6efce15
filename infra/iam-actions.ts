/**
 * The one table from an AWS SDK call our code sends to the IAM actions it needs, and where the
 * action may be scoped. Every function role is built from it: a function lists the calls its
 * code sends (`functions.ts`), and the stack grants exactly the actions this table names for
 * them, on the resources it names.
 *
 * A call is keyed `<service>:<Operation>`, the way the sandbox account records it in its call log
 * (`service` as in `local/sandbox/world.ts` SANDBOX_SERVICES, `operation` the SDK command name
 * without `Command`), so the call log of the test suite can be checked against a role without
 * translation. DynamoDB calls (dynalite, not the sandbox) use DynamoDB's own operation names:
 * the DocumentClient's `PutCommand` sends `PutItem`, `GetCommand` `GetItem`, and so on.
 *
 * The same operation name can mean two calls: S3's `GetPublicAccessBlock` reads a bucket's flags
 * (`s3:GetBucketPublicAccessBlock`), S3 Control's reads the account's
 * (`s3:GetAccountPublicAccessBlock`); Security Hub and Macie both have `GetFindings`. The service
 * part of the key keeps them apart.
 */

/**
 * Where an action may act, as narrow as the service allows:
 * - `anyBucket` / `anyObject`: any bucket (or object) of the accounts this deployment covers
 *   (`s3:ResourceAccount`): the responder must read and fix whichever bucket became public;
 * - `evidenceObject`: objects of the evidence bucket only;
 * - `noResourceType`: the action has no resource type in IAM, so `*` is the only resource;
 * - `table`: the incident table;
 * - `stateMachine` / `executions`: this state machine and its executions;
 * - `secrets`: the secrets this function is given (the approval key ring, the chat webhooks);
 * - `sesIdentities`: the account's SES identities, with `ses:FromAddress` fixed to the sender;
 * - `securityHub` / `securityHubProduct`: this account's hub and its default product (our findings);
 * - `macieJobs`: this account's Macie classification jobs;
 * - `configParameter`: the SSM parameter holding a configuration too large for the environment.
 */
export type ResourceScope =
  | 'anyBucket'
  | 'anyObject'
  | 'evidenceObject'
  | 'noResourceType'
  | 'table'
  | 'stateMachine'
  | 'executions'
  | 'secrets'
  | 'sesIdentities'
  | 'securityHub'
  | 'securityHubProduct'
  | 'macieJobs'
  | 'configParameter';

/** What one SDK call needs: the IAM actions it is authorized by, and where they may be scoped. */
export interface CallPermission {
  readonly actions: readonly string[];
  readonly scope: ResourceScope;
}

export const IAM_ACTIONS = {
  // S3: reading a bucket's access configuration (classify, verify, re-read before a fix).
  's3:GetBucketAcl': { actions: ['s3:GetBucketAcl'], scope: 'anyBucket' },
  's3:GetBucketPolicy': { actions: ['s3:GetBucketPolicy'], scope: 'anyBucket' },
  's3:GetBucketPolicyStatus': { actions: ['s3:GetBucketPolicyStatus'], scope: 'anyBucket' },
  's3:GetPublicAccessBlock': { actions: ['s3:GetBucketPublicAccessBlock'], scope: 'anyBucket' },
  's3:GetBucketOwnershipControls': { actions: ['s3:GetBucketOwnershipControls'], scope: 'anyBucket' },
  's3:GetBucketWebsite': { actions: ['s3:GetBucketWebsite'], scope: 'anyBucket' },
  's3:GetBucketTagging': { actions: ['s3:GetBucketTagging'], scope: 'anyBucket' },
  's3:GetBucketLocation': { actions: ['s3:GetBucketLocation'], scope: 'anyBucket' },
  // HeadBucket and ListObjectsV2 are both authorized by s3:ListBucket.
  's3:HeadBucket': { actions: ['s3:ListBucket'], scope: 'anyBucket' },
  's3:ListObjectsV2': { actions: ['s3:ListBucket'], scope: 'anyBucket' },
  's3:GetObjectAcl': { actions: ['s3:GetObjectAcl'], scope: 'anyObject' },
  's3:ListBuckets': { actions: ['s3:ListAllMyBuckets'], scope: 'noResourceType' },
  // S3: the fixes RemediateExposure applies.
  's3:PutPublicAccessBlock': { actions: ['s3:PutBucketPublicAccessBlock'], scope: 'anyBucket' },
  's3:PutBucketPolicy': { actions: ['s3:PutBucketPolicy'], scope: 'anyBucket' },
  's3:DeleteBucketPolicy': { actions: ['s3:DeleteBucketPolicy'], scope: 'anyBucket' },
  's3:PutBucketAcl': { actions: ['s3:PutBucketAcl'], scope: 'anyBucket' },
  's3:PutObjectAcl': { actions: ['s3:PutObjectAcl'], scope: 'anyObject' },
  // S3: the backup written before a fix.
  's3:PutObject': { actions: ['s3:PutObject'], scope: 'evidenceObject' },
  // S3 Control: the account's Block Public Access (no resource type in IAM).
  's3control:GetPublicAccessBlock': { actions: ['s3:GetAccountPublicAccessBlock'], scope: 'noResourceType' },
  // Security Hub.
  'securityhub:BatchImportFindings': {
    actions: ['securityhub:BatchImportFindings'],
    scope: 'securityHubProduct',
  },
  'securityhub:BatchUpdateFindings': { actions: ['securityhub:BatchUpdateFindings'], scope: 'securityHub' },
  'securityhub:GetFindings': { actions: ['securityhub:GetFindings'], scope: 'securityHub' },
  // SES (v2 API; the IAM prefix is ses).
  'ses:SendEmail': { actions: ['ses:SendEmail'], scope: 'sesIdentities' },
  // Step Functions.
  'sfn:StartExecution': { actions: ['states:StartExecution'], scope: 'stateMachine' },
  'sfn:DescribeExecution': { actions: ['states:DescribeExecution'], scope: 'executions' },
  'sfn:SendTaskSuccess': { actions: ['states:SendTaskSuccess'], scope: 'stateMachine' },
  'sfn:SendTaskFailure': { actions: ['states:SendTaskFailure'], scope: 'stateMachine' },
  // Macie.
  'macie2:CreateClassificationJob': { actions: ['macie2:CreateClassificationJob'], scope: 'macieJobs' },
  'macie2:DescribeClassificationJob': { actions: ['macie2:DescribeClassificationJob'], scope: 'macieJobs' },
  'macie2:UpdateClassificationJob': { actions: ['macie2:UpdateClassificationJob'], scope: 'macieJobs' },
  'macie2:ListFindings': { actions: ['macie2:ListFindings'], scope: 'noResourceType' },
  'macie2:GetFindings': { actions: ['macie2:GetFindings'], scope: 'noResourceType' },
  // DynamoDB: the incident store and Powertools idempotency (task runs), on the one table.
  'dynamodb:GetItem': { actions: ['dynamodb:GetItem'], scope: 'table' },
  'dynamodb:PutItem': { actions: ['dynamodb:PutItem'], scope: 'table' },
  'dynamodb:UpdateItem': { actions: ['dynamodb:UpdateItem'], scope: 'table' },
  'dynamodb:DeleteItem': { actions: ['dynamodb:DeleteItem'], scope: 'table' },
  'dynamodb:Query': { actions: ['dynamodb:Query'], scope: 'table' },
  'dynamodb:BatchWriteItem': { actions: ['dynamodb:BatchWriteItem'], scope: 'table' },
  // Secrets Manager, through Powertools Parameters (the approval key ring, the chat webhooks).
  'secretsmanager:GetSecretValue': { actions: ['secretsmanager:GetSecretValue'], scope: 'secrets' },
  // SSM: the configuration, when it is too large for RESPONDER_CONFIG (a String parameter: no KMS).
  'ssm:GetParameter': { actions: ['ssm:GetParameter'], scope: 'configParameter' },
  // Secrets Manager: the approval key ring's rotation function (tasks/rotate-approval-keys).
  'secretsmanager:DescribeSecret': { actions: ['secretsmanager:DescribeSecret'], scope: 'secrets' },
  'secretsmanager:PutSecretValue': { actions: ['secretsmanager:PutSecretValue'], scope: 'secrets' },
  'secretsmanager:UpdateSecretVersionStage': {
    actions: ['secretsmanager:UpdateSecretVersionStage'],
    scope: 'secrets',
  },
} as const satisfies Record<string, CallPermission>;

/** An SDK call our code sends, as `<service>:<Operation>`. */
export type SdkCall = keyof typeof IAM_ACTIONS;

/** The IAM actions a list of calls needs, each once, sorted. */
export function actionsFor(calls: readonly SdkCall[]): string[] {
  return [...new Set(calls.flatMap((call) => IAM_ACTIONS[call].actions))].sort();
}
