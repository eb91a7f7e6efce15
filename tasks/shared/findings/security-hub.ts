/**
 * The Security Hub adapter: sends findings built by `finding.ts`. The client is passed in (a
 * real one, a sandbox-backed one, or an `aws-sdk-client-mock`).
 *
 * Security Hub answers BatchImportFindings and BatchUpdateFindings with HTTP 200 even when it
 * refuses findings; the refusals are in the body, so every call checks them and throws.
 */
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type BatchImportFindingsCommandOutput,
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandOutput,
  type BatchUpdateFindingsRequest,
  GetFindingsCommand,
  type GetFindingsCommandOutput,
  type SecurityHubClient,
  type SeverityLabel,
} from '@aws-sdk/client-securityhub';
import { errorName } from '../aws-errors.js';
import {
  type FindingFailure,
  FindingImportError,
  FindingUpdateError,
  SecurityHubNotEnabledError,
} from './errors.js';
import { ASFF_LIMITS, GENERATOR_ID, truncateText } from './finding.js';

/** BatchImportFindings takes at most 100 findings per call. */
export const IMPORT_BATCH_SIZE = 100;

/**
 * Turns "Security Hub is not enabled" (InvalidAccessException: the account is not subscribed)
 * into {@link SecurityHubNotEnabledError}, decided on the code alone; any other error
 * (throttling included) is returned unchanged, for the workflow's retriers.
 */
function notEnabledOr(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (errorName(error) === 'InvalidAccessException') {
    return new SecurityHubNotEnabledError(
      `Security Hub is not enabled for this account and Region: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  return error;
}

function failure(
  id: string | undefined,
  errorCode: string | undefined,
  errorMessage: string | undefined,
): FindingFailure {
  return { id: id ?? '(no id)', errorCode: errorCode ?? 'UnknownError', errorMessage: errorMessage ?? '' };
}

/** What an import did. */
export interface ImportResult {
  readonly successCount: number;
}

/**
 * Creates or refreshes findings with BatchImportFindings, 100 per call. Throws
 * {@link FindingImportError} when Security Hub refuses any (`FailedCount > 0`), naming each
 * refusal's code, and {@link SecurityHubNotEnabledError} when the account is not subscribed;
 * throttling and other errors are rethrown unchanged.
 */
export async function importFindings(
  client: SecurityHubClient,
  findings: readonly AwsSecurityFinding[],
): Promise<ImportResult> {
  let successCount = 0;
  for (let start = 0; start < findings.length; start += IMPORT_BATCH_SIZE) {
    const batch = findings.slice(start, start + IMPORT_BATCH_SIZE);
    let response: BatchImportFindingsCommandOutput;
    try {
      response = await client.send(new BatchImportFindingsCommand({ Findings: batch }));
    } catch (error) {
      throw notEnabledOr(error);
    }
    const failures = (response.FailedFindings ?? []).map((f) => failure(f.Id, f.ErrorCode, f.ErrorMessage));
    const failedCount = Math.max(response.FailedCount ?? 0, failures.length);
    if (failedCount > 0) throw new FindingImportError(failedCount, failures);
    successCount += response.SuccessCount ?? batch.length;
  }
  return { successCount };
}

/** Identifies a finding for BatchUpdateFindings. */
export interface FindingIdentifier {
  readonly id: string;
  readonly productArn: string;
}

/** A workflow change: the status, and the note that says why and who. */
export interface WorkflowUpdate {
  /** Leave out to change only the note (and the severity). */
  readonly status?: 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';
  /** Names the decision and the approver; shortened to Security Hub's 512 characters. */
  readonly note: string;
  readonly updatedBy: string;
  /** Sets the customer severity; leave out to keep the provider's. */
  readonly severityLabel?: SeverityLabel;
  /** Custom fields (the Macie scan's outcome); leave out to keep them. */
  readonly userDefinedFields?: Record<string, string>;
}

/**
 * Changes a finding's workflow status and note. BatchUpdateFindings is the only way: an import
 * honours `Workflow.Status` at creation only. Throws {@link FindingUpdateError} when Security
 * Hub leaves the finding unprocessed, and {@link SecurityHubNotEnabledError} as above.
 */
/** The finding's note as it stands (GetFindings by its id), or null when it has none. */
export async function currentNote(
  client: SecurityHubClient,
  finding: FindingIdentifier,
): Promise<string | null> {
  let answer: GetFindingsCommandOutput;
  try {
    answer = await client.send(
      new GetFindingsCommand({
        Filters: {
          Id: [{ Value: finding.id, Comparison: 'EQUALS' }],
          ProductArn: [{ Value: finding.productArn, Comparison: 'EQUALS' }],
        },
        MaxResults: 1,
      }),
    );
  } catch (error) {
    throw notEnabledOr(error);
  }
  return answer.Findings?.[0]?.Note?.Text ?? null;
}

export async function updateFindingWorkflow(
  client: SecurityHubClient,
  finding: FindingIdentifier,
  update: WorkflowUpdate,
): Promise<void> {
  const input: BatchUpdateFindingsRequest = {
    FindingIdentifiers: [{ Id: finding.id, ProductArn: finding.productArn }],
    ...(update.status === undefined ? {} : { Workflow: { Status: update.status } }),
    Note: {
      Text: truncateText(
        update.note || `Workflow status ${update.status ?? 'unchanged'}`,
        ASFF_LIMITS.noteText,
      ),
      UpdatedBy: truncateText(update.updatedBy || GENERATOR_ID, ASFF_LIMITS.noteText),
    },
    ...(update.severityLabel === undefined ? {} : { Severity: { Label: update.severityLabel } }),
    ...(update.userDefinedFields === undefined ? {} : { UserDefinedFields: update.userDefinedFields }),
  };
  let response: BatchUpdateFindingsCommandOutput;
  try {
    response = await client.send(new BatchUpdateFindingsCommand(input));
  } catch (error) {
    throw notEnabledOr(error);
  }
  const unprocessed = response.UnprocessedFindings ?? [];
  if (unprocessed.length > 0) {
    throw new FindingUpdateError(
      unprocessed.map((u) => failure(u.FindingIdentifier?.Id, u.ErrorCode, u.ErrorMessage)),
    );
  }
}

/**
 * Archives a finding: re-imports it with `RecordState: ARCHIVED`, which is how a provider
 * archives. `UpdatedAt` must be later than the stored one or Security Hub ignores the import,
 * so it is moved past the finding's own when `now` is not later. Returns what was imported.
 */
export async function archiveFinding(
  client: SecurityHubClient,
  finding: AwsSecurityFinding,
  now: Date,
): Promise<AwsSecurityFinding> {
  const previous = finding.UpdatedAt === undefined ? Number.NaN : Date.parse(finding.UpdatedAt);
  const at = Number.isNaN(previous) || now.getTime() > previous ? now : new Date(previous + 1);
  const archived: AwsSecurityFinding = { ...finding, RecordState: 'ARCHIVED', UpdatedAt: at.toISOString() };
  await importFindings(client, [archived]);
  return archived;
}
