/** A bucket as backed up before a fix, and the fix the real planner makes of it. */
import { classifyExposure } from '../../../tasks/classify-exposure/classify.js';
import { describeAction, planRemediation } from '../../../tasks/remediate-exposure/plan.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
} from '../../../tasks/shared/contracts.js';
import {
  ALL_USERS,
  acl,
  BUCKET,
  groupGrant,
  LOG_DELIVERY,
  OWNER_ACCOUNT,
  PUBLIC_READ,
  policy,
  privateSnapshot,
} from '../../support/snapshots.js';

export const KEY = 'reports/q3.csv';

/** Kept by the fix: a role of the owner account may write. */
export const DEPLOY = {
  Sid: 'DeployRole',
  Principal: { AWS: `arn:aws:iam::${OWNER_ACCOUNT}:role/deploy` },
  Action: 's3:PutObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};

/** Kept by the fix: TLS only. */
export const TLS_ONLY = {
  Sid: 'TlsOnly',
  Effect: 'Deny' as const,
  Principal: '*' as const,
  Action: 's3:*',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};

/** What an owner adds after the fix: a role of the owner account may read. */
export const ANALYTICS = {
  Sid: 'Analytics',
  Principal: { AWS: `arn:aws:iam::${OWNER_ACCOUNT}:role/analytics` },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};

/** Indented the way a person writes it, so a byte-exact restore is told apart from a re-serialised one. */
export const POLICY_TEXT = JSON.stringify(policy(DEPLOY, PUBLIC_READ, TLS_ONLY), null, 2);

export const PUBLIC_GRANT = groupGrant(ALL_USERS, 'READ');
export const LOG_GRANT = groupGrant(LOG_DELIVERY, 'WRITE');

/** Public through a policy statement, a bucket ACL grant and an object ACL grant. */
export function backedUp(overrides: Partial<BucketAccessSnapshotInput> = {}): BucketAccessSnapshotInput {
  return privateSnapshot({
    objectKeys: [KEY],
    bucketPolicy: POLICY_TEXT,
    bucketAcl: acl(LOG_GRANT, PUBLIC_GRANT),
    objectAcls: { [KEY]: acl(PUBLIC_GRANT) },
    ...overrides,
  });
}

/** The fix the real planner makes of a backup, and its record as the incident keeps it. */
export function fixOf(
  backup: BucketAccessSnapshotInput,
  settings: { preferBlockPublicAccess: boolean; maxObjectKeys: number } = {
    preferBlockPublicAccess: false,
    maxObjectKeys: 100,
  },
) {
  const snapshot = BucketAccessSnapshotSchema.parse(backup);
  const plan = planRemediation({
    snapshot,
    policyText: typeof backup.bucketPolicy === 'string' ? backup.bucketPolicy : null,
    verdict: classifyExposure(snapshot),
    settings,
  });
  return {
    actions: plan.actions,
    record: { plan: plan.actions.map(describeAction), addressed: plan.vectorsAddressed },
  };
}
