import type { KeyRing } from './approval/links.js';
import type { AwsClients } from './aws-clients.js';
import type { Clock } from './clock.js';
import type { ResponderConfig } from './contracts.js';
import type { IncidentStore } from './incident-store.js';
import type { ChatPoster } from './messages/chat.js';
import type { ApprovalStore } from './store/approval-store.js';
import type { TaskRuns } from './store/task-runs.js';

/** What every task handler is given: clients, the store, time, and the deployment's settings. */
export interface TaskDeps {
  /** Clients for the responder's own Region. */
  readonly clients: AwsClients;
  /** Clients for another Region: buckets are read in their own Region. */
  readonly clientsFor: (region: string) => AwsClients;
  readonly store: IncidentStore;
  readonly clock: Clock;
  /** The configuration the first task loads into the state; later tasks read it from the state. */
  readonly config: ResponderConfig;
  /** The account the responder runs in. */
  readonly accountId: string;
  /** The responder's own Region: Security Hub, SES and Step Functions are called here. */
  readonly region: string;
  /** aws, aws-cn or aws-us-gov: for ARNs in findings. */
  readonly partition: string;
  /** This state machine's ARN, for StartExecution when an account-level change fans out. */
  readonly stateMachineArn: string;
  /**
   * Where each task's answer is kept, so a retry with the same input gets it instead of writing
   * again. Always given in AWS and by the local runner; a unit test may leave it out.
   */
  readonly taskRuns?: TaskRuns;
  /** The invocation's time left (Lambda's context; the local runner counts down TimeoutSeconds). */
  readonly remainingTimeMs?: () => number;
  /** Approval records (mode approve); the same table as the store. */
  readonly approvals?: ApprovalStore;
  /** Where approval links point and the keys that sign them (RequestApproval only). */
  readonly approvalLinks?: ApprovalLinkSettings;
  /** Posts to the chat channels the configuration names; absent where none are set up. */
  readonly chat?: ChatPoster;
}

/** The approval page's address and the key ring its links are signed with. */
export interface ApprovalLinkSettings {
  /** The page's origin and path prefix, e.g. a Lambda function URL or http://127.0.0.1:PORT. */
  readonly baseUrl: string;
  readonly keyRing: KeyRing;
}
