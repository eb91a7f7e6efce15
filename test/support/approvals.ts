/** An approval record for page and render tests: pending, on a public policy statement. */
import { type ApprovalRecord, ApprovalRecordSchema } from '../../tasks/shared/contracts.js';

export const APPROVAL_ID = '0123456789abcdef0123456789abcdef';

export function sampleApproval(
  overrides: Partial<Record<keyof ApprovalRecord, unknown>> = {},
): ApprovalRecord {
  return ApprovalRecordSchema.parse({
    approvalId: APPROVAL_ID,
    incidentId: 'inc-1',
    executionId: 'exec-1',
    bucket: 'example-public-bucket',
    accountId: '111122223333',
    region: 'eu-west-1',
    summary: 'Anyone on the internet can read objects.',
    reasons: ['Statement 0 (PublicRead) allows s3:GetObject to "*"'],
    severity: 'HIGH',
    plan: {
      hash: 'plan-hash-1',
      vectors: [
        { source: 'bucketPolicy', access: 'read', principal: '*', statementHash: 'stmt-hash-0', key: null },
      ],
      mitigations: [{ kind: 'removePolicyStatement', statement: 0, sid: 'PublicRead' }],
      changes: ['Remove statement 0 (PublicRead) from the bucket policy'],
      blastRadius: ['The website www.example.com serves images from this bucket'],
    },
    backupLocation: 's3://evidence-bucket/backups/example-public-bucket/2025-03-04.json',
    approvers: ['alice@example.com'],
    highRisk: false,
    requestedAt: '2025-03-04T10:00:00.000Z',
    expiresAt: '2025-03-05T10:00:00.000Z',
    status: 'PENDING',
    decision: null,
    supersededBy: null,
    macie: null,
    ...overrides,
  });
}
