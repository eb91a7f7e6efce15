/**
 * Every Lambda function of the responder and the AWS calls its code sends, read from each handler
 * and the modules it calls (`new XxxCommand(`). The stack grants a function exactly the actions
 * `iam-actions.ts` names for these calls, and nothing else; a Task state of the ASL without an
 * entry here fails the synth.
 *
 * Not listed, because no deployed function sends them: DynamoDB Scan (only the CLI lists every
 * incident), SSM GetParameter (the configuration is passed inline in RESPONDER_CONFIG), S3
 * GetObject and the rollback writes (only the local `rollback` command). Secrets Manager
 * GetSecretValue is added by the stack to each function it gives a secret.
 */
import type { SdkCall } from './iam-actions.js';

/** The incident store and Powertools idempotency (task runs): single-item writes, queries, batches. */
const STORE: readonly SdkCall[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchWriteItem',
];

/** `readBucketSnapshot` and the bucket's Region: everything that decides whether a bucket is public. */
const BUCKET_READ: readonly SdkCall[] = [
  's3:GetBucketAcl',
  's3:GetBucketPolicy',
  's3:GetBucketPolicyStatus',
  's3:GetPublicAccessBlock',
  's3:GetBucketOwnershipControls',
  's3:GetBucketWebsite',
  's3:GetBucketTagging',
  's3:GetObjectAcl',
  's3:HeadBucket',
  's3control:GetPublicAccessBlock',
];

/** The finding's note and workflow (`findings/workflow.ts`): read the note, then update. */
const FINDING_UPDATE: readonly SdkCall[] = ['securityhub:GetFindings', 'securityhub:BatchUpdateFindings'];

/** What one function needs beyond its code's calls. */
export interface FunctionSpec {
  /** The AWS calls its code sends. */
  readonly calls: readonly SdkCall[];
  /** Signs approval or status links: gets APPROVAL_BASE_URL and the key ring's secret. */
  readonly signsLinks?: boolean;
  /** Posts to chat channels: gets the chat webhooks' secret, when the deployment has one. */
  readonly postsToChat?: boolean;
  /** @default 512 */
  readonly memoryMiB?: number;
}

/** The function of each Task state, by state name (its code is `tasks/<state-in-kebab-case>/handler.ts`). */
export const TASK_FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  NormalizeEvent: { calls: STORE },
  FanOutAccountChange: {
    calls: [...STORE, ...BUCKET_READ, 's3:ListBuckets', 's3:GetBucketLocation', 'sfn:StartExecution'],
    memoryMiB: 1024,
  },
  StartMacieScan: {
    calls: [
      ...STORE,
      ...FINDING_UPDATE,
      's3:GetBucketPolicy',
      's3:ListObjectsV2',
      'macie2:CreateClassificationJob',
    ],
  },
  CheckMacieScan: {
    calls: [
      ...STORE,
      ...FINDING_UPDATE,
      'macie2:DescribeClassificationJob',
      'macie2:UpdateClassificationJob',
    ],
  },
  SummarizeMacieScan: {
    calls: [
      ...STORE,
      ...FINDING_UPDATE,
      'macie2:ListFindings',
      'macie2:GetFindings',
      's3:ListObjectsV2',
      'ses:SendEmail',
      'sfn:SendTaskSuccess',
    ],
    postsToChat: true,
  },
  RecordScanFailure: { calls: [...STORE, ...FINDING_UPDATE] },
  RegisterIncident: { calls: [...STORE, ...BUCKET_READ, 'sfn:DescribeExecution'] },
  SupersedeApproval: { calls: [...STORE, 'sfn:SendTaskFailure'] },
  ClassifyExposure: {
    calls: [...STORE, ...BUCKET_READ, 's3:ListObjectsV2', 'sfn:StartExecution'],
    memoryMiB: 1024,
  },
  WriteFinding: { calls: [...STORE, 'securityhub:BatchImportFindings'] },
  NotifyRecipients: { calls: [...STORE, 'ses:SendEmail', 'sfn:StartExecution'] },
  MarkFindingNotified: { calls: [...STORE, 'securityhub:BatchUpdateFindings'] },
  CloseIncident: {
    calls: [...STORE, 'securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings', 'ses:SendEmail'],
    postsToChat: true,
  },
  ReleaseLease: { calls: STORE },
  ReportFailure: { calls: [...STORE, 'securityhub:BatchImportFindings', 'ses:SendEmail'] },
  SuppressFinding: {
    calls: [...STORE, 'securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings'],
  },
  RequestApproval: {
    calls: [
      ...STORE,
      'securityhub:BatchUpdateFindings',
      'ses:SendEmail',
      'sfn:SendTaskSuccess',
      'sfn:SendTaskFailure',
    ],
    signsLinks: true,
    postsToChat: true,
  },
  RecordRejection: {
    calls: [...STORE, 'securityhub:BatchUpdateFindings', 'ses:SendEmail'],
    signsLinks: true,
    postsToChat: true,
  },
  ApprovalExpired: {
    calls: [...STORE, 'securityhub:BatchUpdateFindings', 'ses:SendEmail'],
    signsLinks: true,
    postsToChat: true,
  },
  RemediateExposure: {
    calls: [
      ...STORE,
      ...BUCKET_READ,
      's3:PutPublicAccessBlock',
      's3:PutBucketPolicy',
      's3:DeleteBucketPolicy',
      's3:PutBucketAcl',
      's3:PutObjectAcl',
      's3:PutObject',
    ],
    memoryMiB: 1024,
  },
  VerifyRemediation: { calls: [...STORE, ...BUCKET_READ] },
};

/** A function no state calls: its own entry and timeout. */
export interface ServiceFunctionSpec extends FunctionSpec {
  /** The folder under `tasks/` whose `handler.ts` exports `handler`. */
  readonly folder: string;
  readonly timeoutSeconds: number;
  readonly description: string;
}

/** The functions that serve no state. */
export const SERVICE_FUNCTIONS = {
  /**
   * The approval page behind its function URL: reads and decides approvals, and hands the
   * decision to the waiting execution. Only the approval store, no incident or bucket access.
   */
  ApprovalPage: {
    folder: 'approval-page',
    timeoutSeconds: 15,
    description:
      'The approval page (Lambda function URL): shows a signed approval request and records the decision',
    calls: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'sfn:SendTaskSuccess',
    ],
  },
  /** The backstop: lists every bucket and starts an execution for each one left unanswered. */
  Sweep: {
    folder: 'sweep',
    timeoutSeconds: 900,
    description: 'The sweep: starts an execution for each public bucket no execution answers',
    calls: [
      ...STORE,
      ...BUCKET_READ,
      's3:ListBuckets',
      's3:GetBucketLocation',
      'sfn:DescribeExecution',
      'sfn:StartExecution',
    ],
    memoryMiB: 1024,
  },
  /** SES bounces and complaints of approval requests (through the configuration set's SNS topic). */
  EmailFeedback: {
    folder: 'email-feedback',
    timeoutSeconds: 60,
    description:
      'SES bounces and complaints of approval requests: recorded on the approval, told to the operators',
    calls: [...STORE, 'ses:SendEmail', 'sfn:SendTaskFailure'],
  },
} as const satisfies Record<string, ServiceFunctionSpec>;
