/** A small sandbox world for the tests: three buckets named like the events/ samples. */
import type { ResponseMetadata } from '@smithy/types';
import { SandboxAccount, type SandboxOptions } from '../../../local/sandbox/sandbox-account.js';
import type { WorldInput } from '../../../local/sandbox/world.js';
import { FixedClock } from '../../../tasks/shared/clock.js';

export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';
/** The canonical ID AWS's examples (and the events/ samples) pair with {@link ACCOUNT}. */
export const OWNER_ID = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';
export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';
export const START = '2024-05-14T12:00:00.000Z';

export const PUBLIC_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'PublicRead',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::acme-reports/*',
    },
  ],
};

export const PRIVATE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'OwnAccount',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::acme-reports/*',
    },
  ],
};

const ALL_ON = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

/**
 * acme-reports: pre-2023 style (no BPA, no ownership controls), objects, tags, a private policy.
 * acme-public-assets: today's defaults (BPA on, BucketOwnerEnforced) and a website.
 * acme-logs: ObjectWriter with a LogDelivery grant, in eu-west-1.
 */
export function testWorld(): WorldInput {
  return {
    accountId: ACCOUNT,
    region: 'us-east-1',
    buckets: {
      'acme-reports': {
        policy: PRIVATE_POLICY,
        tags: { owner: 'data-team' },
        objects: {
          'reports/2024/q3-summary.csv': { body: 'region,revenue\nemea,10\n', contentType: 'text/csv' },
          'exports/customers.csv': { body: 'name,email\nAda,ada@example.com\n', contentType: 'text/csv' },
          'drafts/brochure.pdf': { body: '%PDF-1.7 brochure', contentType: 'application/pdf' },
        },
      },
      'acme-public-assets': {
        publicAccessBlock: ALL_ON,
        ownershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        website: { IndexDocument: { Suffix: 'index.html' } },
        objects: { 'index.html': { body: '<h1>Acme</h1>', contentType: 'text/html' } },
      },
      'acme-logs': {
        region: 'eu-west-1',
        ownershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] },
        acl: {
          Owner: { ID: OWNER_ID },
          Grants: [
            { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID }, Permission: 'FULL_CONTROL' },
            { Grantee: { Type: 'Group', URI: LOG_DELIVERY }, Permission: 'WRITE' },
          ],
        },
      },
    },
  };
}

/** A sandbox on {@link testWorld} with a fixed clock. */
export function testSandbox(world: WorldInput = testWorld(), options: SandboxOptions = {}): SandboxAccount {
  return SandboxAccount.fromWorld(world, { clock: new FixedClock(START), ...options });
}

/** An error as the SDK throws it: the service fields are there for service errors. */
export interface CaughtError extends Error {
  readonly $metadata?: ResponseMetadata;
  readonly $fault?: string;
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<CaughtError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the call to fail, and it succeeded');
}
