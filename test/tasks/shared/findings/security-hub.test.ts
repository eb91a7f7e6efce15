import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  InvalidAccessException,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FindingImportError,
  FindingUpdateError,
  SecurityHubNotEnabledError,
} from '../../../../tasks/shared/findings/errors.js';
import {
  buildExposureFinding,
  findingIdFor,
  productArnFor,
} from '../../../../tasks/shared/findings/finding.js';
import {
  archiveFinding,
  importFindings,
  updateFindingWorkflow,
} from '../../../../tasks/shared/findings/security-hub.js';
import { ACCOUNT, EXECUTION_ID, makeIncident, REGION } from '../../../support/incidents.js';

const securityHub = mockClient(SecurityHubClient);
const client = new SecurityHubClient({ region: REGION });
const NOW = new Date('2025-03-04T10:15:08.250Z');

function finding(n = 0): AwsSecurityFinding {
  return buildExposureFinding(makeIncident({ incidentId: `inc-${n}` }), {
    partition: 'aws',
    executionId: EXECUTION_ID,
    consoleBaseUrl: 'https://console.aws.amazon.com',
    now: NOW,
  });
}

const IDENTIFIER = { id: findingIdFor(makeIncident()), productArn: productArnFor('aws', REGION, ACCOUNT) };

function throttling(): Error {
  const error = new Error('Rate exceeded');
  error.name = 'TooManyRequestsException';
  return error;
}

function notSubscribed(): InvalidAccessException {
  return new InvalidAccessException({
    message: `Account ${ACCOUNT} is not subscribed to AWS Security Hub`,
    $metadata: { httpStatusCode: 401 },
  });
}

beforeEach(() => {
  securityHub.reset();
});

describe('importFindings', () => {
  it('sends the findings as they are built', async () => {
    securityHub
      .on(BatchImportFindingsCommand)
      .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    const sent = finding();
    await expect(importFindings(client, [sent])).resolves.toEqual({ successCount: 1 });
    expect(securityHub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input)).toEqual([
      { Findings: [sent] },
    ]);
  });

  it('sends at most 100 findings per call, in order', async () => {
    securityHub.on(BatchImportFindingsCommand).callsFake((input: { Findings: unknown[] }) => ({
      FailedCount: 0,
      SuccessCount: input.Findings.length,
      FailedFindings: [],
    }));
    const findings = Array.from({ length: 250 }, (_, i) => finding(i));
    await expect(importFindings(client, findings)).resolves.toEqual({ successCount: 250 });
    const batches = securityHub
      .commandCalls(BatchImportFindingsCommand)
      .map((c) => c.args[0].input.Findings ?? []);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat().map((f) => f.Id)).toEqual(findings.map((f) => f.Id));
  });

  it('does not call Security Hub with nothing to import', async () => {
    await expect(importFindings(client, [])).resolves.toEqual({ successCount: 0 });
    expect(securityHub.calls()).toHaveLength(0);
  });

  it('throws FindingImportError naming each code when a 200 answer has FailedCount > 0', async () => {
    const sent = finding();
    securityHub.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 0,
      FailedFindings: [{ Id: sent.Id, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding Title is too long' }],
    });
    const error = await importFindings(client, [sent]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FindingImportError);
    expect(error).toMatchObject({ name: 'FindingImportError', failedCount: 1 });
    expect(String(error)).toContain(`${sent.Id}: InvalidInput (Finding Title is too long)`);
  });

  it('stops at the first batch with failures', async () => {
    securityHub
      .on(BatchImportFindingsCommand)
      .resolvesOnce({ FailedCount: 2, SuccessCount: 98, FailedFindings: [] })
      .resolves({ FailedCount: 0, SuccessCount: 100, FailedFindings: [] });
    const findings = Array.from({ length: 150 }, (_, i) => finding(i));
    await expect(importFindings(client, findings)).rejects.toThrow('refused 2 finding(s) and named none');
    expect(securityHub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
  });

  it('turns InvalidAccessException into SecurityHubNotEnabledError, keeping the cause', async () => {
    const cause = notSubscribed();
    securityHub.on(BatchImportFindingsCommand).rejects(cause);
    const error = await importFindings(client, [finding()]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecurityHubNotEnabledError);
    expect(error).toMatchObject({ name: 'SecurityHubNotEnabledError', cause });
  });

  it('decides on the error code, not its wording: AccessDeniedException is not "not enabled"', async () => {
    const error = new Error(`Account ${ACCOUNT} is not subscribed to AWS Security Hub`);
    error.name = 'AccessDeniedException';
    securityHub.on(BatchImportFindingsCommand).rejects(error);
    await expect(importFindings(client, [finding()])).rejects.toBe(error);
  });

  it('rethrows throttling unchanged, for the workflow to retry', async () => {
    const error = throttling();
    securityHub.on(BatchImportFindingsCommand).rejects(error);
    await expect(importFindings(client, [finding()])).rejects.toBe(error);
  });
});

describe('updateFindingWorkflow', () => {
  it('sends the status and the note through BatchUpdateFindings', async () => {
    securityHub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    await updateFindingWorkflow(client, IDENTIFIER, {
      status: 'NOTIFIED',
      note: 'Alert sent to soc@acme.example',
      updatedBy: 's3-exposure-responder',
    });
    expect(securityHub.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input)).toEqual([
      {
        FindingIdentifiers: [{ Id: IDENTIFIER.id, ProductArn: IDENTIFIER.productArn }],
        Workflow: { Status: 'NOTIFIED' },
        Note: { Text: 'Alert sent to soc@acme.example', UpdatedBy: 's3-exposure-responder' },
      },
    ]);
  });

  it('sets the severity only when asked', async () => {
    securityHub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    await updateFindingWorkflow(client, IDENTIFIER, {
      status: 'NOTIFIED',
      note: 'Macie found credit card numbers',
      updatedBy: 's3-exposure-responder',
      severityLabel: 'CRITICAL',
    });
    expect(securityHub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input.Severity).toEqual({
      Label: 'CRITICAL',
    });
  });

  it('keeps the note within 512 characters', async () => {
    securityHub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    await updateFindingWorkflow(client, IDENTIFIER, {
      status: 'SUPPRESSED',
      note: `REJECTED by sam.lee@acme.example: ${'reason '.repeat(200)}`,
      updatedBy: 'sam.lee@acme.example',
    });
    const text = securityHub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input.Note?.Text ?? '';
    expect(text.length).toBeLessThanOrEqual(512);
    expect(text.startsWith('REJECTED by sam.lee@acme.example')).toBe(true);
  });

  it('throws FindingUpdateError when the finding is left unprocessed', async () => {
    securityHub.on(BatchUpdateFindingsCommand).resolves({
      ProcessedFindings: [],
      UnprocessedFindings: [
        {
          FindingIdentifier: { Id: IDENTIFIER.id, ProductArn: IDENTIFIER.productArn },
          ErrorCode: 'ConcurrentUpdateError',
          ErrorMessage: 'Another request updated the finding',
        },
      ],
    });
    const error = await updateFindingWorkflow(client, IDENTIFIER, {
      status: 'RESOLVED',
      note: 'Remediated',
      updatedBy: 's3-exposure-responder',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FindingUpdateError);
    expect(error).toMatchObject({ name: 'FindingUpdateError' });
    expect(String(error)).toContain('ConcurrentUpdateError');
  });

  it('turns InvalidAccessException into SecurityHubNotEnabledError', async () => {
    securityHub.on(BatchUpdateFindingsCommand).rejects(notSubscribed());
    await expect(
      updateFindingWorkflow(client, IDENTIFIER, { status: 'NOTIFIED', note: 'n', updatedBy: 'u' }),
    ).rejects.toBeInstanceOf(SecurityHubNotEnabledError);
  });

  it('rethrows throttling unchanged', async () => {
    const error = throttling();
    securityHub.on(BatchUpdateFindingsCommand).rejects(error);
    await expect(
      updateFindingWorkflow(client, IDENTIFIER, { status: 'NOTIFIED', note: 'n', updatedBy: 'u' }),
    ).rejects.toBe(error);
  });
});

describe('archiveFinding', () => {
  beforeEach(() => {
    securityHub
      .on(BatchImportFindingsCommand)
      .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
  });

  it('re-imports the finding ARCHIVED with a later UpdatedAt', async () => {
    const original = finding();
    const later = new Date('2025-03-04T11:20:32Z');
    const archived = await archiveFinding(client, original, later);
    expect(archived).toEqual({ ...original, RecordState: 'ARCHIVED', UpdatedAt: later.toISOString() });
    expect(securityHub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input).toEqual({
      Findings: [archived],
    });
  });

  it('moves UpdatedAt past the stored one when the clock is not later', async () => {
    const archived = await archiveFinding(client, finding(), new Date('2025-03-04T10:00:00Z'));
    expect(archived.UpdatedAt).toBe('2025-03-04T10:15:08.251Z');
  });
});
