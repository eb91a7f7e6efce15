import { describe, expect, it } from 'vitest';
import { classifyExposure } from '../../../tasks/classify-exposure/classify.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type ExposureVerdict,
  ExposureVerdictSchema,
} from '../../../tasks/shared/contracts.js';
import {
  ALL_USERS,
  acl,
  BUCKET,
  groupGrant,
  OTHER_ACCOUNT,
  PUBLIC_READ,
  policy,
  privateSnapshot,
  publicReadWith,
} from '../../support/snapshots.js';
import { SPEC_CASES } from './classify.spec-cases.js';

function classify(input: BucketAccessSnapshotInput) {
  return classifyExposure(BucketAccessSnapshotSchema.parse(input));
}

describe('classifyExposure: the reference, rule by rule', () => {
  it.each(SPEC_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const verdict = classify(c.snapshot);
    expect(ExposureVerdictSchema.parse(verdict)).toEqual(verdict);
    expect({
      policyPublic: verdict.policyPublic,
      aclPublic: verdict.aclPublic,
      effectivelyPublic: verdict.effectivelyPublic,
      publicRead: verdict.publicRead,
      publicWrite: verdict.publicWrite,
      crossAccount: verdict.crossAccount,
      severity: verdict.severity,
    }).toEqual(c.expected);
    if (c.reason === null) {
      expect(verdict.reasons).toEqual([]);
    } else {
      const { why, ...fields } = c.reason;
      expect(verdict.reasons).toContainEqual(
        expect.objectContaining({ ...fields, why: expect.stringMatching(why) }),
      );
    }
    const unknown = c.unknown ?? [];
    expect(verdict.unknown).toHaveLength(unknown.length);
    for (const pattern of unknown) {
      expect(verdict.unknown).toContainEqual(
        expect.objectContaining({ why: expect.stringMatching(pattern) }),
      );
    }
    // Every working way in has a mitigation; nothing private gets one.
    expect(verdict.mitigations.length > 0).toBe(verdict.effectivelyPublic);
    expect(verdict.effectivelyPublic).toBe(verdict.vectors.length > 0);
  });
});

describe('classifyExposure: vectors and mitigations', () => {
  it('names the public statement by index, Sid and hash, and removes exactly that statement', () => {
    const verdict = classify(
      privateSnapshot({
        bucketPolicy: policy(
          {
            Sid: 'Partner',
            Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
            Action: 's3:GetObject',
          },
          PUBLIC_READ,
        ),
      }),
    );
    expect(verdict.vectors).toEqual([
      {
        source: 'bucketPolicy',
        access: 'read',
        principal: '*',
        statementHash: expect.stringMatching(/^[0-9a-f]{16}$/),
        key: null,
      },
    ]);
    expect(verdict.mitigations).toEqual([{ kind: 'removePolicyStatement', statement: 1, sid: 'PublicRead' }]);
  });

  it('gives one vector per level when a statement allows both read and write', () => {
    const verdict = classify(privateSnapshot({ bucketPolicy: policy({ ...PUBLIC_READ, Action: 's3:*' }) }));
    expect(verdict.vectors.map((v) => v.access)).toEqual(['read', 'write']);
    expect(verdict.mitigations).toHaveLength(1);
  });

  it('removes exactly the public grant of an object ACL', () => {
    const grant = groupGrant(ALL_USERS, 'READ');
    const verdict = classify(
      privateSnapshot({ objectKeys: ['a/b.txt'], objectAcls: { 'a/b.txt': acl(grant) } }),
    );
    expect(verdict.vectors).toEqual([
      { source: 'objectAcl', access: 'read', principal: 'AllUsers', statementHash: null, key: 'a/b.txt' },
    ]);
    expect(verdict.mitigations).toEqual([{ kind: 'removeObjectAclGrant', key: 'a/b.txt', grant }]);
  });

  it('falls back to Block Public Access when AWS says public and no statement can be named', () => {
    const verdict = classify(
      privateSnapshot({
        bucketPolicy: policy(publicReadWith({ StringEquals: { 'aws:SourceVpc': 'vpc-1' } })),
        policyStatus: { IsPublic: true },
      }),
    );
    expect(verdict.mitigations).toEqual([
      { kind: 'setBucketPublicAccessBlock', flags: { BlockPublicPolicy: true, RestrictPublicBuckets: true } },
    ]);
  });

  it('keeps masked exposure as latent vectors without mitigations', () => {
    const verdict = classify(
      privateSnapshot({
        bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
        ownershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    expect(verdict.latent).toEqual([
      { source: 'bucketAcl', access: 'read', principal: 'AllUsers', statementHash: null, key: null },
    ]);
    expect(verdict.vectors).toEqual([]);
    expect(verdict.mitigations).toEqual([]);
  });

  it('counts two grants that open the same way in once', () => {
    const verdict = classify(
      privateSnapshot({ bucketAcl: acl(groupGrant(ALL_USERS, 'READ'), groupGrant(ALL_USERS, 'READ_ACP')) }),
    );
    expect(verdict.vectors).toHaveLength(1);
    expect(verdict.mitigations).toHaveLength(2);
  });
});

describe('classifyExposure: severity order', () => {
  const severityOf = (input: BucketAccessSnapshotInput) => classify(input).severity;

  it('puts public write above public read', () => {
    expect(
      severityOf(
        privateSnapshot({
          bucketPolicy: policy(PUBLIC_READ),
          bucketAcl: acl(groupGrant(ALL_USERS, 'WRITE')),
        }),
      ),
    ).toBe('CRITICAL');
  });

  it('puts public read above cross-account', () => {
    expect(
      severityOf(
        privateSnapshot({
          bucketPolicy: policy(PUBLIC_READ, { Principal: { AWS: OTHER_ACCOUNT }, Action: 's3:GetObject' }),
        }),
      ),
    ).toBe('HIGH');
  });

  it('puts cross-account above latent', () => {
    expect(
      severityOf(
        privateSnapshot({
          bucketPolicy: policy({ Principal: { AWS: OTHER_ACCOUNT }, Action: 's3:GetObject' }),
          bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
          bucketPublicAccessBlock: { IgnorePublicAcls: true },
        }),
      ),
    ).toBe('MEDIUM');
  });
});

describe('classifyExposure: parts still failing after the SDK retries', () => {
  const booleans = (verdict: ExposureVerdict) => {
    const { policyPublic, aclPublic, effectivelyPublic, publicRead, publicWrite, crossAccount } = verdict;
    return { policyPublic, aclPublic, effectivelyPublic, publicRead, publicWrite, crossAccount };
  };
  const NONE = {
    policyPublic: false,
    aclPublic: false,
    effectivelyPublic: false,
    publicRead: false,
    publicWrite: false,
    crossAccount: false,
  };

  it('takes a bucket ACL unread after SlowDown as neither public nor private, and rates it MEDIUM', () => {
    const verdict = classify(
      privateSnapshot({ bucketAcl: undefined, unreadable: [{ part: 'bucketAcl', error: 'SlowDown' }] }),
    );

    expect(booleans(verdict)).toEqual(NONE);
    expect(verdict.unknown).toEqual([
      { part: 'bucketAcl', why: 'SlowDown: could not be read', kind: 'unread' },
    ]);
    expect(verdict.severity).toBe('MEDIUM');
  });

  it('still finds public read in the policy when an object ACL failed with InternalError', () => {
    const verdict = classify(
      privateSnapshot({
        bucketPolicy: policy(PUBLIC_READ),
        objectKeys: ['a.csv'],
        unreadable: [{ part: 'objectAcls', key: 'a.csv', error: 'InternalError' }],
      }),
    );

    expect(booleans(verdict)).toEqual({
      ...NONE,
      policyPublic: true,
      effectivelyPublic: true,
      publicRead: true,
    });
    expect(verdict.unknown).toEqual([
      { part: 'objectAcls', key: 'a.csv', why: 'InternalError: could not be read', kind: 'unread' },
    ]);
    expect(verdict.severity).toBe('HIGH');
  });

  it('rates a part unread after an unconfirmed NoSuchBucket MEDIUM', () => {
    const verdict = classify(
      privateSnapshot({
        bucketPolicy: undefined,
        unreadable: [{ part: 'bucketPolicy', error: 'NoSuchBucket' }],
      }),
    );

    expect(verdict.effectivelyPublic).toBe(false);
    expect(verdict.severity).toBe('MEDIUM');
  });

  it('rates an object listing cut short by AccessDenied MEDIUM', () => {
    const verdict = classify(
      privateSnapshot({ unreadable: [{ part: 'objectAcls', error: 'AccessDenied' }] }),
    );

    expect(verdict.unknown).toEqual([
      { part: 'objectAcls', why: 'AccessDenied: could not be read', kind: 'unread' },
    ]);
    expect(verdict.severity).toBe('MEDIUM');
  });
});

describe('classifyExposure: fingerprint', () => {
  const base = privateSnapshot({
    bucketPolicy: policy(PUBLIC_READ, { Sid: 'Other', Principal: { AWS: OTHER_ACCOUNT } }),
  });

  it('is the same for the same exposure read again', () => {
    expect(classify(base).fingerprint).toBe(classify(structuredClone(base)).fingerprint);
  });

  it('does not depend on the order of statements', () => {
    const reordered = privateSnapshot({
      bucketPolicy: policy({ Sid: 'Other', Principal: { AWS: OTHER_ACCOUNT } }, PUBLIC_READ),
    });
    expect(classify(reordered).fingerprint).toBe(classify(base).fingerprint);
  });

  it('changes when the exposure widens', () => {
    const wider = privateSnapshot({
      bucketPolicy: policy(PUBLIC_READ, { Sid: 'Other', Principal: { AWS: OTHER_ACCOUNT } }),
      bucketAcl: acl(groupGrant(ALL_USERS, 'WRITE')),
    });
    expect(classify(wider).fingerprint).not.toBe(classify(base).fingerprint);
  });

  it('differs between buckets with the same exposure', () => {
    expect(classify({ ...base, bucket: `${BUCKET}-2` }).fingerprint).not.toBe(classify(base).fingerprint);
  });
});

describe('BucketAccessSnapshotSchema', () => {
  it('accepts the policy as the JSON text GetBucketPolicy returns', () => {
    const parsed = BucketAccessSnapshotSchema.parse(
      privateSnapshot({ bucketPolicy: JSON.stringify(policy(PUBLIC_READ)) }),
    );
    expect(parsed.bucketPolicy?.Statement[0]?.Sid).toBe('PublicRead');
  });

  it('accepts a single Statement object', () => {
    const parsed = BucketAccessSnapshotSchema.parse(
      privateSnapshot({
        bucketPolicy: { Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: '*' } },
      }),
    );
    expect(parsed.bucketPolicy?.Statement).toHaveLength(1);
  });

  it('names the field of a malformed statement', () => {
    const result = BucketAccessSnapshotSchema.safeParse(
      privateSnapshot({ bucketPolicy: '{"Statement":[{"Effect":"Allw"}]}' }),
    );
    expect(result.error?.issues[0]?.path).toEqual(['bucketPolicy', 'Statement', 0, 'Effect']);
  });

  it('refuses policy text that is not JSON', () => {
    const result = BucketAccessSnapshotSchema.safeParse(privateSnapshot({ bucketPolicy: '{"Statement": [' }));
    expect(result.error?.issues[0]?.message).toMatch(/policy text is not JSON/);
  });
});
