import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  InvalidAccessException,
  InvalidInputException,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, rejection, testSandbox, testWorld } from './support.js';

const PRODUCT_ARN = `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`;
const ID = 's3-exposure/acme-reports/incident-1';

function finding(overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
  return {
    SchemaVersion: '2018-10-08',
    Id: ID,
    ProductArn: PRODUCT_ARN,
    GeneratorId: 's3-exposure-responder',
    AwsAccountId: ACCOUNT,
    Types: ['Effects/Data Exposure/S3 Public Access'],
    CreatedAt: '2024-05-14T10:00:00.000Z',
    UpdatedAt: '2024-05-14T10:00:00.000Z',
    Severity: { Label: 'HIGH' },
    Title: 'Bucket acme-reports is public',
    Description: 'The bucket policy grants s3:GetObject to everyone.',
    Resources: [{ Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::acme-reports' }],
    ...overrides,
  };
}

async function importFindings(client: SecurityHubClient, ...findings: AwsSecurityFinding[]) {
  return client.send(new BatchImportFindingsCommand({ Findings: findings }));
}

async function stored(client: SecurityHubClient, id = ID): Promise<AwsSecurityFinding> {
  const out = await client.send(
    new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: 'EQUALS' }] } }),
  );
  expect(out.Findings).toHaveLength(1);
  const [only] = out.Findings ?? [];
  if (only === undefined) throw new Error(`finding ${id} not found`);
  return only;
}

function setup() {
  const sandbox = testSandbox();
  return { sandbox, hub: sandbox.clients().securityHub };
}

describe('Security Hub BatchImportFindings', () => {
  it('creates a finding: workflow NEW, record ACTIVE, provider fields from the top level', async () => {
    const { hub } = setup();
    const out = await importFindings(hub, finding());
    expect(out).toMatchObject({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    const created = await stored(hub);
    expect(created.Workflow).toEqual({ Status: 'NEW' });
    expect(created.RecordState).toBe('ACTIVE');
    expect(created.FindingProviderFields).toMatchObject({
      Severity: { Label: 'HIGH' },
      Types: ['Effects/Data Exposure/S3 Public Access'],
    });
  });

  it('ignores a later top-level Severity and Types', async () => {
    const { hub } = setup();
    await importFindings(hub, finding());
    await importFindings(
      hub,
      finding({ UpdatedAt: '2024-05-14T11:00:00.000Z', Severity: { Label: 'LOW' }, Types: ['Other'] }),
    );
    const refreshed = await stored(hub);
    expect(refreshed.Severity?.Label).toBe('HIGH');
    expect(refreshed.Types).toEqual(['Effects/Data Exposure/S3 Public Access']);
    expect(refreshed.UpdatedAt).toBe('2024-05-14T11:00:00.000Z');
  });

  it('changes Severity and Types through FindingProviderFields', async () => {
    const { hub } = setup();
    await importFindings(hub, finding());
    await importFindings(
      hub,
      finding({
        UpdatedAt: '2024-05-14T11:00:00.000Z',
        FindingProviderFields: {
          Severity: { Label: 'CRITICAL' },
          Types: ['Effects/Data Exposure/S3 Public Write'],
        },
      }),
    );
    const refreshed = await stored(hub);
    expect(refreshed.Severity?.Label).toBe('CRITICAL');
    expect(refreshed.Types).toEqual(['Effects/Data Exposure/S3 Public Write']);
  });

  it('keeps a severity the customer set, even when the provider changes its own', async () => {
    const { hub } = setup();
    await importFindings(hub, finding());
    await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: ID, ProductArn: PRODUCT_ARN }],
        Severity: { Label: 'LOW' },
      }),
    );
    await importFindings(
      hub,
      finding({
        UpdatedAt: '2024-05-14T11:00:00.000Z',
        FindingProviderFields: { Severity: { Label: 'CRITICAL' } },
      }),
    );
    const refreshed = await stored(hub);
    expect(refreshed.Severity?.Label).toBe('LOW');
    expect(refreshed.FindingProviderFields?.Severity?.Label).toBe('CRITICAL');
  });

  it('ignores Workflow in a later import: it changes only through BatchUpdateFindings', async () => {
    const { hub } = setup();
    await importFindings(hub, finding());
    await importFindings(
      hub,
      finding({ UpdatedAt: '2024-05-14T11:00:00.000Z', Workflow: { Status: 'RESOLVED' } }),
    );
    expect((await stored(hub)).Workflow?.Status).toBe('NEW');
  });

  it('ignores an import older than the stored finding', async () => {
    const { hub } = setup();
    await importFindings(hub, finding({ UpdatedAt: '2024-05-14T12:00:00.000Z' }));
    const out = await importFindings(
      hub,
      finding({ UpdatedAt: '2024-05-14T11:00:00.000Z', Title: 'An older title' }),
    );
    expect(out.SuccessCount).toBe(1);
    expect((await stored(hub)).Title).toBe('Bucket acme-reports is public');
  });

  it('lets a later import archive the finding', async () => {
    const { hub } = setup();
    await importFindings(hub, finding());
    await importFindings(hub, finding({ UpdatedAt: '2024-05-14T11:00:00.000Z', RecordState: 'ARCHIVED' }));
    expect((await stored(hub)).RecordState).toBe('ARCHIVED');
  });

  it('reports a malformed finding in FailedFindings without failing the call', async () => {
    const { hub, sandbox } = setup();
    const out = await importFindings(hub, finding({ Id: 'bad-one', Title: undefined }), finding());
    expect(out.FailedCount).toBe(1);
    expect(out.SuccessCount).toBe(1);
    expect(out.FailedFindings).toEqual([
      {
        Id: 'bad-one',
        ErrorCode: 'InvalidInput',
        ErrorMessage: 'Finding does not adhere to Amazon Finding Format. data.Title is required',
      },
    ]);
    expect(sandbox.world.securityHubFindings.map((f) => f.Id)).toEqual([ID]);
  });

  it('accepts Severity and Types given only under FindingProviderFields', async () => {
    const { hub } = setup();
    const out = await importFindings(
      hub,
      finding({
        Severity: undefined,
        Types: undefined,
        FindingProviderFields: { Severity: { Label: 'MEDIUM' }, Types: ['Effects/Data Exposure'] },
      }),
    );
    expect(out.FailedCount).toBe(0);
    expect((await stored(hub)).Severity?.Label).toBe('MEDIUM');
  });
});

describe('Security Hub BatchUpdateFindings', () => {
  it('sets the workflow status and the note, and leaves UpdatedAt alone', async () => {
    const { hub } = setup();
    await importFindings(hub, finding());
    const out = await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: ID, ProductArn: PRODUCT_ARN }],
        Workflow: { Status: 'RESOLVED' },
        Note: {
          Text: 'Approved by ana@example.com; public statement removed',
          UpdatedBy: 's3-exposure-responder',
        },
      }),
    );
    expect(out.ProcessedFindings).toEqual([{ Id: ID, ProductArn: PRODUCT_ARN }]);
    expect(out.UnprocessedFindings).toEqual([]);
    const updated = await stored(hub);
    expect(updated.Workflow?.Status).toBe('RESOLVED');
    expect(updated.Note).toMatchObject({ UpdatedBy: 's3-exposure-responder' });
    expect(updated.UpdatedAt).toBe('2024-05-14T10:00:00.000Z');
  });

  it('answers FindingNotFound for an unknown finding', async () => {
    const { hub } = setup();
    const out = await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: 'nope', ProductArn: PRODUCT_ARN }],
        Workflow: { Status: 'NOTIFIED' },
      }),
    );
    expect(out.ProcessedFindings).toEqual([]);
    expect(out.UnprocessedFindings).toEqual([
      {
        FindingIdentifier: { Id: 'nope', ProductArn: PRODUCT_ARN },
        ErrorCode: 'FindingNotFound',
        ErrorMessage: 'Finding Not Found',
      },
    ]);
  });

  it('answers InvalidInputException for an unknown workflow status', async () => {
    const { hub, sandbox } = setup();
    await importFindings(hub, finding());
    // The SDK types forbid the bad status, so the call goes to the account directly.
    const error = await rejection(
      sandbox.invoke('securityhub', 'BatchUpdateFindings', {
        FindingIdentifiers: [{ Id: ID, ProductArn: PRODUCT_ARN }],
        Workflow: { Status: 'CLOSED' },
      }),
    );
    expect(error).toBeInstanceOf(InvalidInputException);
    expect((await stored(hub)).Workflow?.Status).toBe('NEW');
  });
});

describe('Security Hub not subscribed', () => {
  it('answers every call with InvalidAccessException (401), not retried', async () => {
    const sandbox = testSandbox({ ...testWorld(), services: { securityHub: 'disabled' } });
    const hub = sandbox.clients().securityHub;
    const error = await rejection(importFindings(hub, finding()));
    expect(error).toBeInstanceOf(InvalidAccessException);
    expect(error.message).toBe('Account 111122223333 is not subscribed to AWS Security Hub');
    expect(error.$metadata?.httpStatusCode).toBe(401);
    expect(error.$metadata?.attempts).toBe(1);
    expect(await rejection(hub.send(new GetFindingsCommand({})))).toBeInstanceOf(InvalidAccessException);
  });
});
