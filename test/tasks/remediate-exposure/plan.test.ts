import { describe, expect, it } from 'vitest';
import { classifyExposure } from '../../../tasks/classify-exposure/classify.js';
import { statementHash } from '../../../tasks/classify-exposure/policy-analysis.js';
import { RemediationPlanError } from '../../../tasks/remediate-exposure/errors.js';
import {
  blastRadius,
  describeAction,
  planActionCount,
  planRemediation,
  type RemediationAction,
} from '../../../tasks/remediate-exposure/plan.js';
import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type PolicyStatement,
  type Vector,
} from '../../../tasks/shared/contracts.js';
import {
  ALL_USERS,
  AUTHENTICATED_USERS,
  acl,
  BUCKET,
  bpa,
  canonicalGrant,
  groupGrant,
  LOG_DELIVERY,
  OTHER_ACCOUNT,
  ownership,
  PUBLIC_READ,
  policy,
  privateSnapshot,
} from '../../support/snapshots.js';

// ---- Builders --------------------------------------------------------------------------------

const SETTINGS = { preferBlockPublicAccess: false, maxObjectKeys: 100 };
const FOREIGN_CANONICAL = 'foreign0canonical0id';

const PUBLIC_LIST: Partial<PolicyStatement> = {
  Sid: 'PublicList',
  Principal: '*',
  Action: 's3:ListBucket',
  Resource: `arn:aws:s3:::${BUCKET}`,
};
const PARTNER_READ: Partial<PolicyStatement> = {
  Sid: 'PartnerRead',
  Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
  Action: ['s3:GetObject', 's3:GetObjectVersion'],
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};
const TLS_ONLY: Partial<PolicyStatement> = {
  Sid: 'TlsOnly',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
  Condition: { Bool: { 'aws:SecureTransport': false } },
};
const LOGS_DELIVERY: Partial<PolicyStatement> = {
  Sid: 'AccessLogs',
  Principal: { Service: 'logging.s3.amazonaws.com' },
  Action: 's3:PutObject',
  Resource: `arn:aws:s3:::${BUCKET}/logs/*`,
};

/** A policy as the text GetBucketPolicy returns. */
function text(document: unknown): string {
  return JSON.stringify(document);
}

/** An object ACL owned by another account, granting AllUsers READ. */
function foreignObjectAcl() {
  return {
    Owner: { ID: FOREIGN_CANONICAL },
    Grants: [canonicalGrant(FOREIGN_CANONICAL, 'FULL_CONTROL'), groupGrant(ALL_USERS, 'READ')],
  };
}

function publicObjects(...keys: string[]) {
  return Object.fromEntries(keys.map((key) => [key, acl(groupGrant(ALL_USERS, 'READ'))]));
}

interface Given {
  readonly snapshot: BucketAccessSnapshotInput;
  /** The policy text now, when it differs from the snapshot's (a later read). */
  readonly policyText?: string | null;
  readonly approvedVectors?: readonly Vector[];
  readonly settings?: Partial<typeof SETTINGS>;
}

/** Classifies the snapshot with the real classifier, then plans. */
function plan(given: Given) {
  const snapshot = BucketAccessSnapshotSchema.parse(given.snapshot);
  const verdict = classifyExposure(snapshot);
  const stored = given.snapshot.bucketPolicy;
  const policyText =
    given.policyText !== undefined ? given.policyText : typeof stored === 'string' ? stored : null;
  const result = planRemediation({
    snapshot,
    policyText,
    verdict,
    ...(given.approvedVectors ? { approvedVectors: given.approvedVectors } : {}),
    settings: { ...SETTINGS, ...given.settings },
  });
  return { verdict, plan: result };
}

function only<K extends RemediationAction['kind']>(
  actions: readonly RemediationAction[],
  kind: K,
): Extract<RemediationAction, { kind: K }> {
  const found = actions.filter((a): a is Extract<RemediationAction, { kind: K }> => a.kind === kind);
  expect(found).toHaveLength(1);
  const [action] = found;
  if (action === undefined) throw new Error(`no ${kind} action`);
  return action;
}

// ---- The spec: what changes, in the plan's own words -----------------------------------------

interface Case extends Given {
  readonly name: string;
  readonly actions: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: 'one public statement among three: only it goes, the other two stay',
    snapshot: privateSnapshot({ bucketPolicy: text(policy(PARTNER_READ, PUBLIC_READ, TLS_ONLY)) }),
    actions: ['remove policy statement 1 ("PublicRead"); keep the other 2'],
  },
  {
    name: 'the last public statement: the policy is deleted (S3 refuses an empty statement list)',
    snapshot: privateSnapshot({ bucketPolicy: text(policy(PUBLIC_READ)) }),
    actions: [
      'delete the bucket policy: its only statement 0 ("PublicRead") is public, and S3 refuses a policy with no statement',
    ],
  },
  {
    name: 'Statement given as a single object, and public: the policy is deleted',
    snapshot: privateSnapshot({
      bucketPolicy: text({ Version: '2012-10-17', Statement: { Effect: 'Allow', ...PUBLIC_READ } }),
    }),
    actions: [
      'delete the bucket policy: its only statement 0 ("PublicRead") is public, and S3 refuses a policy with no statement',
    ],
  },
  {
    name: 'two public statements: both go, the Deny stays',
    snapshot: privateSnapshot({ bucketPolicy: text(policy(PUBLIC_READ, TLS_ONLY, PUBLIC_LIST)) }),
    actions: ['remove policy statements 0 ("PublicRead") and 2 ("PublicList"); keep the other 1'],
  },
  {
    name: 'every statement public: the policy is deleted',
    snapshot: privateSnapshot({ bucketPolicy: text(policy(PUBLIC_READ, PUBLIC_LIST)) }),
    actions: [
      'delete the bucket policy: all its statements, 0 ("PublicRead") and 1 ("PublicList"), are public, and S3 refuses a policy with no statement',
    ],
  },
  {
    name: 'bucket ACL: the public grants go, the owner and log delivery stay',
    snapshot: privateSnapshot({
      bucketAcl: acl(
        groupGrant(ALL_USERS, 'READ'),
        groupGrant(LOG_DELIVERY, 'WRITE'),
        groupGrant(AUTHENTICATED_USERS, 'WRITE'),
      ),
    }),
    actions: [
      'remove the bucket ACL grants AllUsers READ and AuthenticatedUsers WRITE; keep the owner and the other 2 grants',
    ],
  },
  {
    name: 'object ACLs: each object loses exactly its public grants',
    snapshot: privateSnapshot({
      objectKeys: ['a.csv', 'b.csv'],
      objectAcls: {
        'a.csv': acl(groupGrant(ALL_USERS, 'READ')),
        'b.csv': acl(groupGrant(AUTHENTICATED_USERS, 'READ'), groupGrant(ALL_USERS, 'READ_ACP')),
      },
    }),
    actions: [
      'remove the grant AllUsers READ from object "a.csv"',
      'remove the grants AuthenticatedUsers READ and AllUsers READ_ACP from object "b.csv"',
    ],
  },
  {
    name: 'an object of another account under ObjectWriter: PutObjectAcl is denied, so Block Public Access',
    snapshot: privateSnapshot({
      objectKeys: ['x.csv'],
      objectAcls: { 'x.csv': foreignObjectAcl() },
      ownershipControls: ownership('ObjectWriter'),
    }),
    actions: [
      'turn on bucket Block Public Access IgnorePublicAcls, BlockPublicAcls: object "x.csv" belongs to another account (ObjectWriter), so its ACL cannot be changed by the bucket owner',
    ],
  },
  {
    name: 'an object of another account under BucketOwnerPreferred: the same',
    snapshot: privateSnapshot({
      objectKeys: ['x.csv'],
      objectAcls: { 'x.csv': foreignObjectAcl() },
      ownershipControls: ownership('BucketOwnerPreferred'),
    }),
    actions: [
      'turn on bucket Block Public Access IgnorePublicAcls, BlockPublicAcls: object "x.csv" belongs to another account (BucketOwnerPreferred), so its ACL cannot be changed by the bucket owner',
    ],
  },
  {
    name: 'another account’s object next to our own: Block Public Access, and our own object fixed exactly',
    snapshot: privateSnapshot({
      objectKeys: ['x.csv', 'ours.csv'],
      objectAcls: { 'x.csv': foreignObjectAcl(), ...publicObjects('ours.csv') },
    }),
    actions: [
      'turn on bucket Block Public Access IgnorePublicAcls, BlockPublicAcls: object "x.csv" belongs to another account (no ownership controls, so ObjectWriter), so its ACL cannot be changed by the bucket owner',
      'remove the grant AllUsers READ from object "ours.csv"',
    ],
  },
  {
    name: 'more public objects than a run fixes one by one: Block Public Access',
    snapshot: privateSnapshot({
      objectKeys: ['a', 'b', 'c'],
      objectAcls: publicObjects('a', 'b', 'c'),
    }),
    settings: { maxObjectKeys: 2 },
    actions: [
      'turn on bucket Block Public Access IgnorePublicAcls, BlockPublicAcls: 3 objects have public ACL grants, more than the 2 a run fixes one by one (remediation.maxObjectKeys)',
    ],
  },
  {
    name: 'as many public objects as allowed: fixed one by one',
    snapshot: privateSnapshot({ objectKeys: ['a', 'b'], objectAcls: publicObjects('a', 'b') }),
    settings: { maxObjectKeys: 2 },
    actions: [
      'remove the grant AllUsers READ from object "a"',
      'remove the grant AllUsers READ from object "b"',
    ],
  },
  {
    name: 'GetBucketPolicyStatus says public and names no statement: Block Public Access',
    snapshot: privateSnapshot({ bucketPolicy: text(policy(PARTNER_READ)), policyStatus: { IsPublic: true } }),
    actions: [
      'turn on bucket Block Public Access BlockPublicPolicy, RestrictPublicBuckets: GetBucketPolicyStatus reports the policy public but names no statement, so no single statement can be removed',
    ],
  },
  {
    name: 'the configuration prefers Block Public Access: one change, every needed flag',
    snapshot: privateSnapshot({
      bucketPolicy: text(policy(PUBLIC_READ)),
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      objectKeys: ['a.csv'],
      objectAcls: publicObjects('a.csv'),
    }),
    settings: { preferBlockPublicAccess: true },
    actions: [
      'turn on bucket Block Public Access BlockPublicPolicy, RestrictPublicBuckets, IgnorePublicAcls, BlockPublicAcls: the configuration prefers bucket Block Public Access (remediation.preferBlockPublicAccess)',
    ],
  },
  {
    name: 'BlockPublicPolicy is on already (it only refuses new policies): only RestrictPublicBuckets is turned on',
    snapshot: privateSnapshot({
      bucketPolicy: text(policy(PUBLIC_READ)),
      bucketPublicAccessBlock: bpa({ BlockPublicPolicy: true }),
    }),
    settings: { preferBlockPublicAccess: true },
    actions: [
      'turn on bucket Block Public Access RestrictPublicBuckets: the configuration prefers bucket Block Public Access (remediation.preferBlockPublicAccess)',
    ],
  },
  {
    name: 'latent only (IgnorePublicAcls masks the ACL): nothing to change',
    snapshot: privateSnapshot({
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPublicAccessBlock: bpa({ IgnorePublicAcls: true }),
    }),
    actions: [],
  },
  {
    name: 'latent object ACL under BucketOwnerEnforced next to a public policy: only the policy changes',
    snapshot: privateSnapshot({
      bucketPolicy: text(policy(PARTNER_READ, PUBLIC_READ)),
      ownershipControls: ownership('BucketOwnerEnforced'),
      objectKeys: ['a.csv'],
      objectAcls: publicObjects('a.csv'),
    }),
    actions: ['remove policy statement 1 ("PublicRead"); keep the other 1'],
  },
  {
    name: 'a public policy and a public bucket ACL, surgically: BPA untouched',
    snapshot: privateSnapshot({
      bucketPolicy: text(policy(PUBLIC_READ, LOGS_DELIVERY)),
      bucketAcl: acl(groupGrant(ALL_USERS, 'FULL_CONTROL')),
    }),
    actions: [
      'remove policy statement 0 ("PublicRead"); keep the other 1',
      'remove the bucket ACL grant AllUsers FULL_CONTROL; keep the owner and the other 1 grant',
    ],
  },
];

describe('planRemediation: the smallest change, in plain words', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { plan: result, verdict } = plan(c);
    expect(result.actions.map(describeAction)).toEqual(c.actions);
    expect(planActionCount(result)).toBe(c.actions.length);
    // One line per action opens the description; every current way in is addressed (no approval given).
    expect(result.description.slice(0, c.actions.length)).toEqual(c.actions);
    expect(result.vectorsAddressed).toEqual(verdict.vectors);
    expect(result.vectorsLeft).toEqual([]);
    // Never more than one Block Public Access change, never a flag turned off.
    const bpaActions = result.actions.filter((a) => a.kind === 'putBucketPublicAccessBlock');
    expect(bpaActions.length).toBeLessThanOrEqual(1);
  });
});

// ---- The policy text ---------------------------------------------------------------------------

describe('planRemediation: the policy text', () => {
  it('keeps every other statement in order, byte-identical, and every top-level field in place', () => {
    const others = [
      { Sid: 'PartnerRead', Effect: 'Allow', ...PARTNER_READ },
      { Sid: 'TlsOnly', ...TLS_ONLY },
      {
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: '*',
      },
    ];
    const original = {
      Id: 'acme-policy',
      Version: '2012-10-17',
      Statement: [others[0], { Effect: 'Allow', ...PUBLIC_READ }, others[1], others[2]],
    };
    const { plan: result } = plan({
      snapshot: privateSnapshot({ bucketPolicy: JSON.stringify(original, null, 2) }),
    });
    const put = only(result.actions, 'putBucketPolicy');
    expect(put.policyText).toBe(JSON.stringify({ ...original, Statement: others }));
    expect(Object.keys(JSON.parse(put.policyText))).toEqual(['Id', 'Version', 'Statement']);
    for (const kept of others) expect(put.policyText).toContain(JSON.stringify(kept));
    expect(put.removedStatements).toEqual([
      { statement: 1, sid: 'PublicRead', statementHash: statementHash({ Effect: 'Allow', ...PUBLIC_READ }) },
    ]);
  });

  it('finds the statements by hash when indices shifted since the verdict', () => {
    const before = text(policy(PUBLIC_READ));
    const now = text(policy(PARTNER_READ, LOGS_DELIVERY, PUBLIC_READ));
    const { plan: result, verdict } = plan({
      snapshot: privateSnapshot({ bucketPolicy: before }),
      policyText: now,
    });
    const put = only(result.actions, 'putBucketPolicy');
    expect(put.removedStatements).toEqual([
      { statement: 2, sid: 'PublicRead', statementHash: verdict.vectors[0]?.statementHash },
    ]);
    expect(JSON.parse(put.policyText)).toEqual(policy(PARTNER_READ, LOGS_DELIVERY));
  });

  it('falls back to Block Public Access when the public statement is no longer in the text', () => {
    const { plan: result } = plan({
      snapshot: privateSnapshot({ bucketPolicy: text(policy(PARTNER_READ, PUBLIC_READ)) }),
      policyText: text(policy(PARTNER_READ, { ...PUBLIC_READ, Action: ['s3:GetObject', 's3:PutObject'] })),
    });
    expect(result.actions.map((a) => a.kind)).toEqual(['putBucketPublicAccessBlock']);
    expect(result.fallbacks).toEqual([
      'policy statement 1 named by the verdict is not in the current policy text, so it cannot be removed exactly',
    ]);
  });

  it('removes duplicates of a public statement together', () => {
    const { plan: result } = plan({
      snapshot: privateSnapshot({ bucketPolicy: text(policy(PUBLIC_READ, PARTNER_READ, PUBLIC_READ)) }),
    });
    const put = only(result.actions, 'putBucketPolicy');
    expect(put.removedStatements.map((r) => r.statement)).toEqual([0, 2]);
    expect(JSON.parse(put.policyText)).toEqual(policy(PARTNER_READ));
  });
});

// ---- ACLs --------------------------------------------------------------------------------------

describe('planRemediation: ACLs', () => {
  it('keeps the Owner and every non-public grant of the bucket ACL, in order', () => {
    const partner = canonicalGrant(FOREIGN_CANONICAL, 'READ');
    const { plan: result } = plan({
      snapshot: privateSnapshot({
        bucketAcl: acl(groupGrant(LOG_DELIVERY, 'WRITE'), groupGrant(ALL_USERS, 'READ'), partner),
      }),
    });
    const put = only(result.actions, 'putBucketAcl');
    expect(put.acl).toEqual(acl(groupGrant(LOG_DELIVERY, 'WRITE'), partner));
    expect(put.removedGrants).toEqual([groupGrant(ALL_USERS, 'READ')]);
  });

  it('keeps the Owner of an object ACL and removes only its public grants', () => {
    const { plan: result } = plan({
      snapshot: privateSnapshot({
        objectKeys: ['a.csv'],
        objectAcls: {
          'a.csv': acl(groupGrant(AUTHENTICATED_USERS, 'READ'), groupGrant(LOG_DELIVERY, 'READ')),
        },
      }),
    });
    const put = only(result.actions, 'putObjectAcl');
    expect(put).toEqual({
      kind: 'putObjectAcl',
      key: 'a.csv',
      acl: acl(groupGrant(LOG_DELIVERY, 'READ')),
      removedGrants: [groupGrant(AUTHENTICATED_USERS, 'READ')],
    });
  });

  it('says why Block Public Access replaces the fix of another account’s object', () => {
    const { plan: result } = plan({
      snapshot: privateSnapshot({
        objectKeys: ['x.csv'],
        objectAcls: { 'x.csv': foreignObjectAcl() },
        ownershipControls: ownership('ObjectWriter'),
      }),
    });
    const put = only(result.actions, 'putBucketPublicAccessBlock');
    expect(put.why).toBe(
      'object "x.csv" belongs to another account (ObjectWriter), so its ACL cannot be changed by the bucket owner',
    );
    expect(result.fallbacks).toEqual([put.why]);
    expect(result.actions.some((a) => a.kind === 'putObjectAcl')).toBe(false);
  });
});

// ---- Block Public Access -------------------------------------------------------------------------

describe('planRemediation: bucket Block Public Access', () => {
  it('ORs the needed flags with the current ones and never turns one off', () => {
    const { plan: result } = plan({
      snapshot: privateSnapshot({
        objectKeys: ['x.csv'],
        objectAcls: { 'x.csv': foreignObjectAcl() },
        bucketPublicAccessBlock: bpa({ BlockPublicPolicy: true, BlockPublicAcls: true }),
      }),
    });
    const put = only(result.actions, 'putBucketPublicAccessBlock');
    expect(put.configuration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
    expect(put.flags).toEqual(['IgnorePublicAcls']);
  });

  it('makes one change with the union of flags when policy and ACLs both fall back', () => {
    const { plan: result } = plan({
      snapshot: privateSnapshot({
        bucketPolicy: text(policy(PARTNER_READ)),
        policyStatus: { IsPublic: true },
        objectKeys: ['x.csv'],
        objectAcls: { 'x.csv': foreignObjectAcl() },
      }),
    });
    const put = only(result.actions, 'putBucketPublicAccessBlock');
    expect(put.configuration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(put.flags).toEqual([
      'BlockPublicPolicy',
      'RestrictPublicBuckets',
      'IgnorePublicAcls',
      'BlockPublicAcls',
    ]);
    expect(result.fallbacks).toHaveLength(2);
    expect(put.why).toBe(result.fallbacks.join('; '));
  });

  it('refuses to plan a Block Public Access change when the current flags were not read', () => {
    const snapshot: BucketAccessSnapshotInput = privateSnapshot({
      objectKeys: ['x.csv'],
      objectAcls: { 'x.csv': foreignObjectAcl() },
    });
    delete snapshot.bucketPublicAccessBlock;
    expect(() => plan({ snapshot })).toThrow(RemediationPlanError);
  });
});

// ---- Approval ------------------------------------------------------------------------------------

describe('planRemediation: only what a person approved', () => {
  it('addresses the approved statement and leaves the other for a new decision', () => {
    const snapshot = privateSnapshot({ bucketPolicy: text(policy(PUBLIC_READ, PARTNER_READ, PUBLIC_LIST)) });
    const first = plan({ snapshot });
    const readHash = statementHash({ Effect: 'Allow', ...PUBLIC_READ });
    const approved = first.verdict.vectors.filter((v) => v.statementHash === readHash);
    const { plan: result, verdict } = plan({ snapshot, approvedVectors: approved });
    const put = only(result.actions, 'putBucketPolicy');
    expect(put.removedStatements.map((r) => r.sid)).toEqual(['PublicRead']);
    expect(JSON.parse(put.policyText)).toEqual(policy(PARTNER_READ, PUBLIC_LIST));
    expect(result.vectorsAddressed).toEqual(approved);
    expect(result.vectorsLeft).toEqual(verdict.vectors.filter((v) => v.statementHash !== readHash));
    expect(result.description.at(-1)).toMatch(
      /^left for a new decision \(not approved\): 1 way\(s\) in: read by \*/,
    );
  });

  it('approved on an earlier verdict: a statement changed since then is not touched', () => {
    const earlier = plan({ snapshot: privateSnapshot({ bucketPolicy: text(policy(PUBLIC_READ)) }) });
    const { plan: result, verdict } = plan({
      snapshot: privateSnapshot({ bucketPolicy: text(policy({ ...PUBLIC_READ, Action: 's3:*' })) }),
      approvedVectors: earlier.verdict.vectors,
    });
    expect(result.actions).toEqual([]);
    expect(result.vectorsLeft).toEqual(verdict.vectors);
    expect(result.description[0]).toBe('nothing to change: no approved way in is open');
  });

  it('does not remove a grant that now also gives what was never approved', () => {
    const earlier = plan({ snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(ALL_USERS, 'READ')) }) });
    const { plan: result, verdict } = plan({
      snapshot: privateSnapshot({ bucketAcl: acl(groupGrant(ALL_USERS, 'FULL_CONTROL')) }),
      approvedVectors: earlier.verdict.vectors,
    });
    // FULL_CONTROL is read and write: removing it would end a write nobody approved ending.
    expect(result.actions).toEqual([]);
    expect(result.vectorsLeft).toEqual(verdict.vectors);
  });

  it('compares all five vector fields: the same grant on another object is not approved', () => {
    const earlier = plan({
      snapshot: privateSnapshot({ objectKeys: ['a'], objectAcls: publicObjects('a') }),
    });
    const { plan: result } = plan({
      snapshot: privateSnapshot({ objectKeys: ['a', 'b'], objectAcls: publicObjects('a', 'b') }),
      approvedVectors: earlier.verdict.vectors,
    });
    expect(result.actions.map(describeAction)).toEqual(['remove the grant AllUsers READ from object "a"']);
    expect(result.vectorsLeft.map((v) => v.key)).toEqual(['b']);
  });

  it('never addresses latent vectors, even when approved', () => {
    const snapshot = privateSnapshot({
      bucketPolicy: text(policy(PUBLIC_READ)),
      bucketAcl: acl(groupGrant(ALL_USERS, 'READ')),
      bucketPublicAccessBlock: bpa({ IgnorePublicAcls: true }),
    });
    const { verdict } = plan({ snapshot });
    expect(verdict.latent).toHaveLength(1);
    const { plan: result } = plan({ snapshot, approvedVectors: [...verdict.vectors, ...verdict.latent] });
    expect(result.actions.map((a) => a.kind)).toEqual(['deleteBucketPolicy']);
    expect(result.vectorsAddressed).toEqual(verdict.vectors);
    expect(result.vectorsAddressed).not.toContainEqual(verdict.latent[0]);
  });
});

// ---- Blast radius --------------------------------------------------------------------------------

function radiusOf(overrides: Partial<BucketAccessSnapshotInput>) {
  return blastRadius(BucketAccessSnapshotSchema.parse(privateSnapshot(overrides)));
}

describe('blastRadius', () => {
  it('says a website goes down with public read, and shows it in the plan', () => {
    const { plan: result } = plan({
      snapshot: privateSnapshot({
        bucketPolicy: text(policy(PUBLIC_READ)),
        website: { IndexDocument: { Suffix: 'index.html' } },
      }),
    });
    expect(result.blastRadius.website).toBe(true);
    expect(result.description).toContain('website hosting is on: removing public read takes the site down');
  });

  it('names CloudFront: OAC service principal with its distribution ARN, OAI by ARN and canonical user', () => {
    const distribution = `arn:aws:cloudfront::${OTHER_ACCOUNT}:distribution/EDFDVBD6EXAMPLE`;
    const oai = 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL';
    const radius = radiusOf({
      bucketPolicy: text(
        policy(
          {
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Resource: `arn:aws:s3:::${BUCKET}/*`,
            Condition: { StringEquals: { 'AWS:SourceArn': distribution } },
          },
          { Principal: { AWS: oai }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
          {
            Principal: { CanonicalUser: 'abc123' },
            Action: 's3:GetObject',
            Resource: `arn:aws:s3:::${BUCKET}/*`,
          },
          LOGS_DELIVERY,
        ),
      ),
    });
    expect(radius.cloudFront).toEqual([
      'cloudfront.amazonaws.com',
      distribution,
      oai,
      'CanonicalUser:abc123',
    ]);
    expect(radius.servicePrincipals).toEqual(['logging.s3.amazonaws.com']);
    expect(radius.notes).toContainEqual(
      expect.stringMatching(/^CloudFront reads this bucket \(cloudfront\.amazonaws\.com/),
    );
    expect(radius.notes).toContainEqual(
      expect.stringMatching(/^AWS services are named in the policy \(logging/),
    );
  });

  it('ignores services named only in a Deny', () => {
    const radius = radiusOf({
      bucketPolicy: text(policy({ ...LOGS_DELIVERY, Effect: 'Deny' })),
    });
    expect(radius.servicePrincipals).toEqual([]);
  });

  it('keeps the owner tags, whatever their case, and nothing else', () => {
    const radius = radiusOf({
      tags: { Owner: 'alice@example.com', TEAM: 'data', 'cost-center': '42', contact: '#data', env: 'prod' },
    });
    expect(radius.ownerTags).toEqual({
      Owner: 'alice@example.com',
      TEAM: 'data',
      'cost-center': '42',
      contact: '#data',
    });
    expect(radius.notes).toContain(
      "the bucket's tags name its owner: Owner=alice@example.com, TEAM=data, cost-center=42, contact=#data",
    );
  });

  it.each([
    [
      'website and tags not read',
      {},
      ['the website configuration was not read', "the bucket's tags were not read"],
    ],
    ['no website, no owner tag', { website: null, tags: { env: 'prod' } }, ['no tag names an owner']],
  ] as const)('says what it does not know: %s', (_name, overrides, starts) => {
    const radius = radiusOf(overrides);
    expect(radius.website).toBe(false);
    for (const start of starts) expect(radius.notes.some((n) => n.startsWith(start))).toBe(true);
  });
});
