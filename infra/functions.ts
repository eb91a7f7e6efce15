/**
 * Every Lambda function of the responder and the AWS calls its code sends, read from each handler
 * and the modules it calls (`new XxxCommand(`). The stack grants a function exactly the actions
 * `iam-actions.ts` names for these calls, and nothing else; a Task state of the ASL without an
 * entry here fails the synth.
 *
 * The lists are held to what the code really sends, both ways, by the call ledger: while the test
 * suite runs, every call each function's code sends to the sandbox account or the local store is
 * noted under that function (`local/call-ledger.ts`), and `test/iam/roles.test.ts` checks each
 * synthesized role against it: nothing sent that the role lacks, nothing granted that no test
 * sent. So a call is listed here only when a test takes the path that sends it (the groups below
 * say which paths those are), and a path a deployment can take needs a test that takes it, or the
 * role misses the call. A call no code of the function can send is not listed.
 *
 * Not listed, because no deployed function sends them: DynamoDB Scan (only the CLI lists every
 * incident), S3 GetObject and the rollback writes (only the local `rollback` command). Added by
 * the stack, not listed here (locally the configuration and the secrets are handed in, so the
 * ledger does not see these reads): Secrets Manager GetSecretValue, to each function it gives a
 * secret; SSM GetParameter, to every function when the configuration is too large to pass
 * inline (RESPONDER_CONFIG_PARAMETER).
 */
import type { SdkCall } from './iam-actions.js';

/**
 * The table's single items. Every Task function keeps its run record here (Powertools
 * idempotency, `tasks/shared/store/task-runs.ts`): put before the work, updated with its answer,
 * deleted when the work throws (so the retry runs at once), read on a repeat. The incident and
 * approval stores' own item reads and conditional writes need no more than these four: a
 * lease, an event, an incident's head, an approval (DeleteItem: the lease released, the open
 * slot of a closed incident, an approval's token once it is answered).
 */
const ITEMS: readonly SdkCall[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

/**
 * Queries (`dynamo-incident-store.ts`): an incident too large for one item is read with its part
 * items (`incident-items.ts`: lists past 16 KB, as some 60 objects with public ACLs make); the
 * events waiting on a bucket's lease; a bucket's incidents; the exception registry.
 */
const QUERY: readonly SdkCall[] = ['dynamodb:Query'];

/**
 * Batched writes: an incident too large for one item is written with its part items, and the
 * parts of the version it replaces are deleted; the events a lease held are acknowledged.
 */
const BATCH_WRITE: readonly SdkCall[] = ['dynamodb:BatchWriteItem'];

/** Reading and writing incidents of any size, on top of the task's run record. */
const INCIDENTS: readonly SdkCall[] = [...ITEMS, ...QUERY, ...BATCH_WRITE];

/**
 * `readBucketSnapshot` at bucket level: everything that decides whether a bucket is public.
 * HeadBucket only when some of its reads (not all) answered NoSuchBucket: it decides whether the
 * bucket is gone (`isBucketGone`), as S3's bucket operations are eventually consistent.
 */
const BUCKET_READ: readonly SdkCall[] = [
  's3:GetBucketAcl',
  's3:GetBucketPolicy',
  's3:GetBucketPolicyStatus',
  's3:GetPublicAccessBlock',
  's3:GetBucketOwnershipControls',
  's3:GetBucketWebsite',
  's3:GetBucketTagging',
  's3:HeadBucket',
  's3control:GetPublicAccessBlock',
];

/**
 * `readBucketSnapshot` of objects: only where the read names objects (an event's keys, the
 * objects of an incident or of a pending approval's plan, a listing after Block Public Access
 * or Object Ownership stopped hiding object ACLs). The fan-out reads buckets only.
 */
const OBJECT_ACL_READ: readonly SdkCall[] = ['s3:GetObjectAcl'];

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
  /** Only a failed or refused call is stored (an attempt): no incident is read or written. */
  NormalizeEvent: { calls: ITEMS },
  /** Lists and reads buckets (no objects: each bucket's own execution reads those); no incident. */
  FanOutAccountChange: {
    calls: [...ITEMS, ...BUCKET_READ, 's3:ListBuckets', 's3:GetBucketLocation', 'sfn:StartExecution'],
    memoryMiB: 1024,
  },
  /** The scan branch reads the incident and writes no incident, only the scan's own summary item. */
  StartMacieScan: {
    calls: [
      ...ITEMS,
      ...QUERY,
      ...FINDING_UPDATE,
      's3:GetBucketPolicy',
      's3:ListObjectsV2',
      'macie2:CreateClassificationJob',
    ],
  },
  CheckMacieScan: {
    calls: [
      ...ITEMS,
      ...QUERY,
      ...FINDING_UPDATE,
      'macie2:DescribeClassificationJob',
      'macie2:UpdateClassificationJob',
    ],
  },
  SummarizeMacieScan: {
    calls: [
      ...ITEMS,
      ...QUERY,
      ...FINDING_UPDATE,
      'macie2:ListFindings',
      'macie2:GetFindings',
      's3:ListObjectsV2',
      'ses:SendEmail',
      'sfn:SendTaskSuccess',
    ],
    postsToChat: true,
  },
  RecordScanFailure: { calls: [...ITEMS, ...QUERY, ...FINDING_UPDATE] },
  /**
   * Registers the event on the lease (items; the waiting events when a lease ran out), and, when
   * the holder waits on an approval, reads the bucket and the plan's objects.
   */
  RegisterIncident: {
    calls: [...ITEMS, ...QUERY, ...BUCKET_READ, ...OBJECT_ACL_READ, 'sfn:DescribeExecution'],
  },
  SupersedeApproval: { calls: [...INCIDENTS, 'sfn:SendTaskFailure'] },
  ClassifyExposure: {
    calls: [...INCIDENTS, ...BUCKET_READ, ...OBJECT_ACL_READ, 's3:ListObjectsV2', 'sfn:StartExecution'],
    memoryMiB: 1024,
  },
  WriteFinding: { calls: [...INCIDENTS, 'securityhub:BatchImportFindings'] },
  NotifyRecipients: { calls: [...INCIDENTS, 'ses:SendEmail', 'sfn:StartExecution'] },
  MarkFindingNotified: { calls: [...INCIDENTS, 'securityhub:BatchUpdateFindings'] },
  CloseIncident: {
    calls: [
      ...INCIDENTS,
      'securityhub:BatchImportFindings',
      'securityhub:BatchUpdateFindings',
      'ses:SendEmail',
    ],
    postsToChat: true,
  },
  /** The lease and the events waiting on it: no incident is written. */
  ReleaseLease: { calls: [...ITEMS, ...QUERY] },
  ReportFailure: { calls: [...INCIDENTS, 'securityhub:BatchImportFindings', 'ses:SendEmail'] },
  SuppressFinding: {
    calls: [...INCIDENTS, 'securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings'],
  },
  RequestApproval: {
    calls: [
      ...INCIDENTS,
      'securityhub:BatchUpdateFindings',
      'ses:SendEmail',
      'sfn:SendTaskSuccess',
      'sfn:SendTaskFailure',
    ],
    signsLinks: true,
    postsToChat: true,
  },
  RecordRejection: {
    calls: [...INCIDENTS, 'securityhub:BatchUpdateFindings', 'ses:SendEmail'],
    signsLinks: true,
    postsToChat: true,
  },
  ApprovalExpired: {
    calls: [...INCIDENTS, 'securityhub:BatchUpdateFindings', 'ses:SendEmail'],
    signsLinks: true,
    postsToChat: true,
  },
  RemediateExposure: {
    calls: [
      ...INCIDENTS,
      ...BUCKET_READ,
      ...OBJECT_ACL_READ,
      's3:PutPublicAccessBlock',
      's3:PutBucketPolicy',
      's3:DeleteBucketPolicy',
      's3:PutBucketAcl',
      's3:PutObjectAcl',
      's3:PutObject',
    ],
    memoryMiB: 1024,
  },
  VerifyRemediation: { calls: [...INCIDENTS, ...BUCKET_READ, ...OBJECT_ACL_READ] },
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
   * decision to the waiting execution. Only the approval store's items (no query: the audit
   * trail is only listed by the CLI), no incident or bucket access.
   */
  ApprovalPage: {
    folder: 'approval-page',
    timeoutSeconds: 15,
    description:
      'The approval page (Lambda function URL): shows a signed approval request and records the decision',
    calls: [...ITEMS, 'sfn:SendTaskSuccess'],
  },
  /**
   * The backstop: lists every bucket and starts an execution for each one left unanswered. It
   * writes no incident: it reads the open one (with its objects' ACLs) and the lease, and gives a
   * lease up (UpdateItem); GetBucketLocation where ListBuckets names no Region.
   */
  Sweep: {
    folder: 'sweep',
    timeoutSeconds: 900,
    description: 'The sweep: starts an execution for each public bucket no execution answers',
    calls: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      ...QUERY,
      ...BUCKET_READ,
      ...OBJECT_ACL_READ,
      's3:ListBuckets',
      's3:GetBucketLocation',
      'sfn:DescribeExecution',
      'sfn:StartExecution',
    ],
    memoryMiB: 1024,
  },
  /**
   * SES bounces and complaints of approval requests (through the configuration set's SNS topic):
   * the approval store's items only.
   */
  EmailFeedback: {
    folder: 'email-feedback',
    timeoutSeconds: 60,
    description:
      'SES bounces and complaints of approval requests: recorded on the approval, told to the operators',
    calls: [...ITEMS, 'ses:SendEmail', 'sfn:SendTaskFailure'],
  },
} as const satisfies Record<string, ServiceFunctionSpec>;
