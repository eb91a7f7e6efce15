import { describe, expect, it } from 'vitest';
import { parseWorld, WorldSchema, worldIssues } from '../../../local/sandbox/world.js';
import { InvalidInputError } from '../../../tasks/shared/errors.js';

/** The world file example of DESIGN.md section 4, as written there. */
const DESIGN_EXAMPLE = {
  accountId: '111122223333',
  region: 'us-east-1',
  accountPublicAccessBlock: null,
  services: { macie: 'enabled', securityHub: 'enabled' },
  buckets: {
    'example-bucket': {
      policy: null,
      acl: null,
      publicAccessBlock: null,
      ownershipControls: null,
      website: null,
      tags: { owner: 'data-team' },
      objects: { 'reports/q3.csv': { body: 'small text', contentType: 'text/csv', acl: null } },
    },
  },
  exceptions: [],
  faults: [],
};

function issuesOf(input: unknown): string {
  try {
    parseWorld(input);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.message;
    throw error;
  }
  throw new Error('the world was accepted');
}

describe('the world file', () => {
  it('accepts the DESIGN example and keeps its field names', () => {
    const world = parseWorld(DESIGN_EXAMPLE);
    for (const name of Object.keys(DESIGN_EXAMPLE)) expect(world).toHaveProperty(name);
    const bucket = world.buckets['example-bucket'];
    for (const name of Object.keys(DESIGN_EXAMPLE.buckets['example-bucket']))
      expect(bucket).toHaveProperty(name);
    expect(bucket?.objects['reports/q3.csv']).toEqual({
      body: 'small text',
      contentType: 'text/csv',
      acl: null,
    });
  });

  it('names exactly the DESIGN fields plus the documented additions', () => {
    expect(Object.keys(WorldSchema.shape).sort()).toEqual(
      [...Object.keys(DESIGN_EXAMPLE), 'securityHubFindings', 'multipartUploads', 'macie'].sort(),
    );
  });

  it('fills the defaults of a minimal world', () => {
    const world = parseWorld({ accountId: '111122223333', buckets: { 'acme-data': {} } });
    // No Macie field until a job runs: a world file that never used Macie is written back unchanged.
    expect(world.macie).toBeUndefined();
    expect(world).toMatchObject({
      region: 'us-east-1',
      accountPublicAccessBlock: null,
      services: { macie: 'enabled', securityHub: 'enabled' },
      exceptions: [],
      faults: [],
      securityHubFindings: [],
    });
    expect(world.buckets['acme-data']).toEqual({
      policy: null,
      acl: null,
      publicAccessBlock: null,
      ownershipControls: null,
      website: null,
      tags: {},
      objects: {},
    });
  });

  it('reads a policy given as text and keeps the text', () => {
    const text = '{"Version":"2012-10-17", "Statement":[]}';
    const world = parseWorld({ accountId: '111122223333', buckets: { 'acme-data': { policy: text } } });
    expect(world.buckets['acme-data']?.policy).toEqual({ Version: '2012-10-17', Statement: [] });
    expect(world.buckets['acme-data']?.policyText).toBe(text);
  });

  it('keeps a bucket’s policyStatus override, true, false or null', () => {
    const world = parseWorld({
      accountId: '111122223333',
      buckets: {
        'acme-yes': { policyStatus: { IsPublic: true } },
        'acme-no': { policyStatus: { IsPublic: false } },
        'acme-any': { policyStatus: null },
      },
    });
    expect(world.buckets['acme-yes']?.policyStatus).toEqual({ IsPublic: true });
    expect(world.buckets['acme-no']?.policyStatus).toEqual({ IsPublic: false });
    expect(world.buckets['acme-any']?.policyStatus).toBeNull();
  });

  it('fills a fault times with 1', () => {
    const world = parseWorld({
      accountId: '111122223333',
      faults: [{ service: 'securityhub', operation: 'BatchImportFindings', error: 'ThrottlingException' }],
    });
    expect(world.faults[0]?.times).toBe(1);
  });

  it.each([
    [{ accountId: '1234' }, 'accountId'],
    [{ accountId: '111122223333', services: { securityHub: 'off' } }, 'services.securityHub'],
    [
      {
        accountId: '111122223333',
        buckets: { 'acme-data': { publicAccessBlock: { BlockPublicAcls: 'yes' } } },
      },
      'buckets.acme-data.publicAccessBlock.BlockPublicAcls',
    ],
    [
      {
        accountId: '111122223333',
        buckets: {
          'acme-data': { acl: { Grants: [{ Grantee: { Type: 'Group' }, Permission: 'READ_ALL' }] } },
        },
      },
      'buckets.acme-data.acl.Grants.0.Permission',
    ],
    [{ accountId: '111122223333', buckets: { 'acme-data': { polciy: null } } }, 'buckets.acme-data'],
    [
      {
        accountId: '111122223333',
        buckets: { 'acme-data': { policy: { Statement: [{ Effect: 'Alow' }] } } },
      },
      'buckets.acme-data.policy.Statement.0.Effect',
    ],
    [
      { accountId: '111122223333', faults: [{ service: 'ec2', operation: 'X', error: 'Y' }] },
      'faults.0.service',
    ],
    [{ accountId: '111122223333', bucket: {} }, '(world)'],
    [
      { accountId: '111122223333', buckets: { 'acme-data': { policyStatus: { IsPublic: 'yes' } } } },
      'buckets.acme-data.policyStatus.IsPublic',
    ],
    [
      { accountId: '111122223333', buckets: { 'acme-data': { policyStatus: { isPublic: true } } } },
      'buckets.acme-data.policyStatus',
    ],
  ])('rejects a malformed world, naming the field (%#)', (input, field) => {
    expect(issuesOf(input)).toContain(`${field}:`);
  });

  it('says what is wrong with a bucket name that is too long', () => {
    const name = 'b'.repeat(64);
    expect(issuesOf({ accountId: '111122223333', buckets: { [name]: {} } })).toContain(
      `buckets.${name}: a bucket name has 3 to 63 characters`,
    );
  });
});

describe('worldIssues', () => {
  it('finds nothing in a valid world', () => {
    expect(worldIssues(parseWorld({ accountId: '111122223333', buckets: { 'acme-data': {} } }))).toEqual([]);
  });

  it('names each field a world file could not hold', () => {
    const world = { accountId: '111122223333', buckets: { 'acme-data': { acl: 'public' } } };
    expect(worldIssues(world)).toEqual([expect.stringMatching(/^buckets\.acme-data\.acl: /)]);
  });
});
