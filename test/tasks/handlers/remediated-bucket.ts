/**
 * The bucket the remediation handler tests act on: a public statement next to a partner's
 * (the fix removes one and keeps the other), programmed read by read on the mocked clients.
 */
import {
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetPublicAccessBlockCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { PolicyStatement } from '../../../tasks/shared/contracts.js';
import { INCIDENT_BUCKET } from '../../support/incidents.js';
import { ALL_USERS, acl, groupGrant, OTHER_ACCOUNT, PUBLIC_READ, policy } from '../../support/snapshots.js';
import {
  ACCOUNT_ID,
  type Mocks,
  mockAccountWithoutBlockPublicAccess,
  mockBucket,
  REGION,
  s3Error,
} from './support.js';

/** The account's evidence bucket, where backups go. */
const EVIDENCE_BUCKET = `s3-exposure-evidence-${ACCOUNT_ID}-${REGION}`;

export const BUCKET = INCIDENT_BUCKET;
/** The objects the incident's events name: their ACLs are read again too. */
export const OBJECTS = { 'reports/q3.csv': false, 'reports/q4.csv': false };

const PUBLIC: Partial<PolicyStatement> = { ...PUBLIC_READ, Resource: `arn:aws:s3:::${BUCKET}/*` };
export const PARTNER: Partial<PolicyStatement> = {
  Sid: 'PartnerRead',
  Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};
export const MIXED_POLICY = JSON.stringify(policy(PUBLIC, PARTNER));
export const PARTNER_ONLY = JSON.stringify(policy(PARTNER));
/** The policies a test may give the bucket, and what GetBucketPolicyStatus says of each. */
const POLICIES = {
  mixed: { text: MIXED_POLICY, isPublic: true },
  partnerOnly: { text: PARTNER_ONLY, isPublic: false },
} as const;

/** How the bucket answers: private unless said otherwise. */
export interface BucketNow {
  /** The bucket's policy; left out, the bucket has none. */
  readonly policy?: keyof typeof POLICIES;
  /** The bucket ACL grants AllUsers READ. */
  readonly publicBucketAcl?: boolean;
  /** GetBucketAcl is refused. */
  readonly aclDenied?: boolean;
  /** GetBucketPolicy and GetBucketPolicyStatus are refused. */
  readonly policyDenied?: boolean;
}

/** Programs every read of the bucket, and lets every write (and the backup) succeed. */
export function bucketIs(mocks: Mocks, now: BucketNow): void {
  const { s3, s3Control } = mocks;
  s3.reset();
  s3Control.reset();
  s3.resolves({});
  mockAccountWithoutBlockPublicAccess(mocks);
  mockBucket(mocks, { bucket: BUCKET, objects: OBJECTS });
  if (now.policy !== undefined) {
    const { text, isPublic } = POLICIES[now.policy];
    s3.on(GetBucketPolicyCommand, { Bucket: BUCKET }).resolves({ Policy: text });
    s3.on(GetBucketPolicyStatusCommand, { Bucket: BUCKET }).resolves({
      PolicyStatus: { IsPublic: isPublic },
    });
  }
  if (now.publicBucketAcl) {
    s3.on(GetBucketAclCommand, { Bucket: BUCKET }).resolves(acl(groupGrant(ALL_USERS, 'READ')));
  }
  if (now.aclDenied) s3.on(GetBucketAclCommand, { Bucket: BUCKET }).rejects(s3Error('AccessDenied', 403));
  if (now.policyDenied) {
    s3.on(GetBucketPolicyCommand, { Bucket: BUCKET }).rejects(s3Error('AccessDenied', 403));
    s3.on(GetBucketPolicyStatusCommand, { Bucket: BUCKET }).rejects(s3Error('AccessDenied', 403));
  }
  s3.on(PutObjectCommand).resolves({ ETag: '"backup-etag"' });
  // The evidence bucket is private, as the stack makes it: the backup checks that before writing.
  s3.on(GetPublicAccessBlockCommand, { Bucket: EVIDENCE_BUCKET }).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
}
