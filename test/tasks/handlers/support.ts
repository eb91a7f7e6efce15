/**
 * The harness of the handler tests: real SDK clients wrapped by `aws-sdk-client-mock`, the real
 * DynamoDB incident store on an in-memory dynalite (a table per test), a fixed clock, and states made by running NormalizeEvent (and
 * RegisterIncident) on the sample events, so every test starts from a state the workflow makes.
 */
import { readFileSync } from 'node:fs';
import { Macie2Client } from '@aws-sdk/client-macie2';
import {
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  GetBucketWebsiteCommand,
  GetObjectAclCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  S3ControlClient,
  S3ControlServiceException,
} from '@aws-sdk/client-s3-control';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { type Mock, vi } from 'vitest';
import { z } from 'zod';
import { normalizeEvent } from '../../../tasks/normalize-event/handler.js';
import { registerIncident } from '../../../tasks/register-incident/handler.js';
import type { AwsClients } from '../../../tasks/shared/aws-clients.js';
import { FixedClock } from '../../../tasks/shared/clock.js';
import { parseConfig } from '../../../tasks/shared/config.js';
import type { Incident } from '../../../tasks/shared/contracts.js';
import {
  type ResponderConfigInput,
  type WorkflowState,
  WorkflowStateSchema,
} from '../../../tasks/shared/contracts.js';
import type { DynamoIncidentStore } from '../../../tasks/shared/store/dynamo-incident-store.js';
import type { TaskDeps } from '../../../tasks/shared/task-deps.js';
import { acl, groupGrant, ownership, PUBLIC_READ, policy } from '../../support/snapshots.js';
import { freshStore } from '../../support/store.js';

export const ACCOUNT_ID = '111122223333';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:s3-exposure-response`;
export const RECIPIENT = 'soc@example.com';
export const OPERATOR = 'ops@example.com';
export const OWN_ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/s3-exposure-responder-remediate`;
/** After every sample event but one (put-bucket-public-access-block is dated 2026). */
export const START = '2024-05-14T11:00:00.000Z';

/** An execution ARN as `$$.Execution.Id` gives it. */
export function executionArn(name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT_ID}:execution:s3-exposure-response:${name}`;
}
export const EXECUTION_A = executionArn('exec-a');
export const EXECUTION_B = executionArn('exec-b');

const BASE_CONFIG: ResponderConfigInput = {
  recipients: { email: [RECIPIENT] },
  operators: { email: [OPERATOR] },
  ownRoleArns: [OWN_ROLE],
  modes: { default: 'notify' },
};

/** The stubs behind each client, to program answers and read what was sent. */
export interface Mocks {
  readonly s3: AwsClientStub<S3Client>;
  readonly s3Control: AwsClientStub<S3ControlClient>;
  readonly securityHub: AwsClientStub<SecurityHubClient>;
  readonly ses: AwsClientStub<SESv2Client>;
  readonly sfn: AwsClientStub<SFNClient>;
  readonly macie: AwsClientStub<Macie2Client>;
}

/** TaskDeps whose store, clock and clients a test can inspect. */
export interface TestDeps extends TaskDeps {
  readonly store: DynamoIncidentStore;
  readonly clock: FixedClock;
  /** Returns the same mocked clients for every Region, and records which Regions were asked for. */
  readonly clientsFor: Mock<(region: string) => AwsClients>;
  readonly mocks: Mocks;
}

export interface DepsOverrides {
  /** Merged over the base configuration (top-level keys replace). */
  readonly config?: Partial<ResponderConfigInput>;
  readonly store?: DynamoIncidentStore;
  readonly clock?: FixedClock;
}

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** Fresh clients and stubs, an empty store and a clock at {@link START}. */
export async function makeDeps(overrides: DepsOverrides = {}): Promise<TestDeps> {
  const options = { region: REGION, credentials, maxAttempts: 1 };
  const clients: AwsClients = {
    s3: new S3Client(options),
    s3Control: new S3ControlClient(options),
    securityHub: new SecurityHubClient(options),
    ses: new SESv2Client(options),
    sfn: new SFNClient(options),
    macie: new Macie2Client(options),
  };
  const mocks: Mocks = {
    s3: mockClient(clients.s3),
    s3Control: mockClient(clients.s3Control),
    securityHub: mockClient(clients.securityHub),
    ses: mockClient(clients.ses),
    sfn: mockClient(clients.sfn),
    macie: mockClient(clients.macie),
  };
  return {
    clients,
    clientsFor: vi.fn((_region: string) => clients),
    store: overrides.store ?? (await freshStore()),
    clock: overrides.clock ?? new FixedClock(START),
    config: parseConfig({ ...BASE_CONFIG, ...overrides.config }),
    accountId: ACCOUNT_ID,
    region: REGION,
    partition: PARTITION,
    stateMachineArn: STATE_MACHINE_ARN,
    mocks,
  };
}

const EVENTS_DIR = new URL('../../../events/', import.meta.url);

/** A sample event from `events/` (or `events/malformed/`), as EventBridge would deliver it. */
export function readEvent(file: string): Record<string, unknown> {
  return z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(new URL(file, EVENTS_DIR), 'utf8')));
}

const SampleSchema = z.looseObject({ detail: z.looseObject({ eventID: z.string() }) });

export interface StateOptions {
  readonly executionId?: string;
  /** Replaces `detail.eventID`: another delivery of the same change. */
  readonly eventID?: string;
  /** Added to the event, as FanOutAccountChange adds it to a child's input. */
  readonly fanOut?: { readonly bucket: string; readonly region: string };
}

/** The event NormalizeEvent gets for a sample, edited as the options say. */
export function eventFor(file: string, options: StateOptions = {}): unknown {
  const event = readEvent(file);
  if (options.eventID === undefined && options.fanOut === undefined) return event;
  const sample = SampleSchema.parse(event);
  return {
    ...sample,
    ...(options.eventID === undefined ? {} : { detail: { ...sample.detail, eventID: options.eventID } }),
    ...(options.fanOut === undefined ? {} : { fanOut: options.fanOut }),
  };
}

/** The state NormalizeEvent makes of a sample event. */
export async function stateFor(
  file: string,
  deps: TaskDeps,
  options: StateOptions = {},
): Promise<WorkflowState> {
  const input = { event: eventFor(file, options), executionId: options.executionId ?? EXECUTION_A };
  return WorkflowStateSchema.parse(await normalizeEvent(input, deps));
}

/** The state after NormalizeEvent and RegisterIncident. */
export async function registeredState(
  file: string,
  deps: TaskDeps,
  options: StateOptions = {},
): Promise<WorkflowState> {
  const normalized = await stateFor(file, deps, options);
  return WorkflowStateSchema.parse(await registerIncident(normalized, deps));
}

/** A state whose assessment points at `incident`, as ClassifyExposure leaves it. */
export function assessedState(state: WorkflowState, incident: Incident): WorkflowState {
  return {
    ...state,
    assessment: {
      outcome: 'public',
      incidentId: incident.incidentId,
      severity: incident.verdict.severity,
      fingerprint: incident.verdict.fingerprint,
      summary: 'public read [HIGH], 1 way in',
      vectorCount: incident.verdict.vectors.length,
      keyCount: 0,
      mode: incident.mode,
      exceptionId: null,
    },
  };
}

/** An S3 service error as the SDK raises it. */
export function s3Error(name: string, httpStatusCode = 404): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });
}

function s3ControlError(name: string): S3ControlServiceException {
  return new S3ControlServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 404 },
    message: name,
  });
}

/** How a mocked bucket is configured; everything left out is absent (private, nothing set). */
export interface BucketSetup {
  readonly bucket: string;
  /** A bucket policy letting Principal "*" read objects, which GetBucketPolicyStatus reports public. */
  readonly publicPolicy?: boolean;
  /** Object Ownership; left out, the bucket has none (ACLs enabled, as ObjectWriter). */
  readonly ownership?: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';
  /** Objects whose ACL may be read: key to whether AllUsers may READ it. */
  readonly objects?: Readonly<Record<string, boolean>>;
  /** What ListObjectsV2 answers. */
  readonly listing?: { readonly keys: readonly string[]; readonly truncated: boolean };
}

/** Programs S3 to answer every read of the snapshot for one bucket. */
export function mockBucket(mocks: Mocks, setup: BucketSetup): void {
  const target = { Bucket: setup.bucket };
  const { s3 } = mocks;
  if (setup.publicPolicy) {
    const document = policy({ ...PUBLIC_READ, Resource: `arn:aws:s3:::${setup.bucket}/*` });
    s3.on(GetBucketPolicyCommand, target).resolves({ Policy: JSON.stringify(document) });
    s3.on(GetBucketPolicyStatusCommand, target).resolves({ PolicyStatus: { IsPublic: true } });
  } else {
    s3.on(GetBucketPolicyCommand, target).rejects(s3Error('NoSuchBucketPolicy'));
    s3.on(GetBucketPolicyStatusCommand, target).rejects(s3Error('NoSuchBucketPolicy'));
  }
  s3.on(GetBucketAclCommand, target).resolves(acl());
  s3.on(GetPublicAccessBlockCommand, target).rejects(s3Error('NoSuchPublicAccessBlockConfiguration'));
  if (setup.ownership) {
    s3.on(GetBucketOwnershipControlsCommand, target).resolves({
      OwnershipControls: ownership(setup.ownership),
    });
  } else {
    s3.on(GetBucketOwnershipControlsCommand, target).rejects(s3Error('OwnershipControlsNotFoundError'));
  }
  s3.on(GetBucketWebsiteCommand, target).rejects(s3Error('NoSuchWebsiteConfiguration'));
  s3.on(GetBucketTaggingCommand, target).rejects(s3Error('NoSuchTagSet'));
  for (const [key, isPublic] of Object.entries(setup.objects ?? {})) {
    const grants = isPublic ? [groupGrant('http://acs.amazonaws.com/groups/global/AllUsers', 'READ')] : [];
    s3.on(GetObjectAclCommand, { ...target, Key: key }).resolves(acl(...grants));
  }
  if (setup.listing) {
    s3.on(ListObjectsV2Command, target).resolves({
      Contents: setup.listing.keys.map((Key) => ({ Key })),
      IsTruncated: setup.listing.truncated,
      ...(setup.listing.truncated ? { NextContinuationToken: 'next-page' } : {}),
    });
  }
}

/** Programs S3 Control: the account has no Block Public Access configuration. */
export function mockAccountWithoutBlockPublicAccess(mocks: Mocks): void {
  mocks.s3Control
    .on(GetAccountPublicAccessBlockCommand)
    .rejects(s3ControlError('NoSuchPublicAccessBlockConfiguration'));
}
