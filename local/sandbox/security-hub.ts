/**
 * Security Hub: findings imported by the responder (as a finding provider) and updated by the
 * customer's workflow, under the rules in asff.ts. An account that is not subscribed answers
 * every call with InvalidAccessException, as Security Hub does.
 */
import type {
  AwsSecurityFindingFilters,
  BatchImportFindingsCommandInput,
  BatchImportFindingsCommandOutput,
  BatchUpdateFindingsCommandInput,
  BatchUpdateFindingsCommandOutput,
  GetFindingsCommandInput,
  GetFindingsCommandOutput,
  ImportFindingsError,
} from '@aws-sdk/client-securityhub';
import { z } from 'zod';
import {
  type AsffFinding,
  AsffFindingSchema,
  applyCustomerUpdate,
  createFinding,
  customerUpdateOf,
  findingKey,
  findingProblem,
  refreshFinding,
} from './asff.js';
import { AwsApiError } from './aws-error.js';
import { type Answer, type OperationContext, type OperationTable, operation } from './operations.js';

/** At most this many findings per BatchImportFindings or BatchUpdateFindings call. */
const MAX_BATCH = 100;

function requireSubscribed(ctx: OperationContext): void {
  if (ctx.world.services.securityHub === 'disabled') {
    throw new AwsApiError(
      'InvalidAccessException',
      `Account ${ctx.world.accountId} is not subscribed to AWS Security Hub`,
    );
  }
}

function invalidInput(message: string): AwsApiError {
  return new AwsApiError('InvalidInputException', message);
}

function indexOfFinding(ctx: OperationContext, id: { Id: string; ProductArn: string }): number {
  const key = findingKey(id);
  return ctx.world.securityHubFindings.findIndex((stored) => findingKey(stored) === key);
}

// ---- BatchImportFindings -----------------------------------------------------------------

/** Stores one finding, or says why Security Hub would refuse it. */
function importOne(ctx: OperationContext, raw: unknown): ImportFindingsError | null {
  const problem = findingProblem(raw);
  const parsed = AsffFindingSchema.safeParse(raw);
  if (problem !== null || !parsed.success) {
    const id = typeof raw === 'object' && raw !== null && 'Id' in raw ? String(raw.Id) : '';
    return { Id: id, ErrorCode: 'InvalidInput', ErrorMessage: problem ?? 'Finding is invalid' };
  }
  const finding = parsed.data;
  if (finding.AwsAccountId !== ctx.world.accountId) {
    return {
      Id: finding.Id,
      ErrorCode: 'AccessDeniedException',
      ErrorMessage: `AwsAccountId ${finding.AwsAccountId} is not the calling account ${ctx.world.accountId}`,
    };
  }
  const at = { now: ctx.now, region: ctx.region };
  const findings = ctx.world.securityHubFindings;
  const index = indexOfFinding(ctx, finding);
  const stored = findings[index];
  if (stored === undefined) {
    findings.push(createFinding(finding, at));
  } else {
    // An import older than the stored finding is accepted and ignored.
    findings[index] = refreshFinding(stored, finding, at) ?? stored;
  }
  return null;
}

const batchImportFindings = operation(
  (input: BatchImportFindingsCommandInput, ctx): Answer<BatchImportFindingsCommandOutput> => {
    requireSubscribed(ctx);
    const findings = input.Findings ?? [];
    if (findings.length === 0 || findings.length > MAX_BATCH) {
      throw invalidInput(`Findings must hold between 1 and ${MAX_BATCH} findings`);
    }
    // A malformed finding does not fail the call: it is reported in FailedFindings.
    const failed = findings.map((finding) => importOne(ctx, finding)).filter((error) => error !== null);
    return {
      FailedCount: failed.length,
      SuccessCount: findings.length - failed.length,
      FailedFindings: failed,
    };
  },
);

// ---- BatchUpdateFindings -----------------------------------------------------------------

const batchUpdateFindings = operation(
  (input: BatchUpdateFindingsCommandInput, ctx): Answer<BatchUpdateFindingsCommandOutput> => {
    requireSubscribed(ctx);
    const identifiers = input.FindingIdentifiers ?? [];
    if (identifiers.length === 0 || identifiers.length > MAX_BATCH) {
      throw invalidInput(`FindingIdentifiers must hold between 1 and ${MAX_BATCH} identifiers`);
    }
    const update = customerUpdateOf(input);
    if (!update.success) {
      const [issue] = update.error.issues;
      throw invalidInput(`Invalid ${issue?.path.map(String).join('.') ?? 'update'}: ${issue?.message ?? ''}`);
    }
    const processed: { Id: string; ProductArn: string }[] = [];
    const unprocessed: NonNullable<BatchUpdateFindingsCommandOutput['UnprocessedFindings']> = [];
    for (const identifier of identifiers) {
      const id = { Id: identifier.Id ?? '', ProductArn: identifier.ProductArn ?? '' };
      const index = indexOfFinding(ctx, id);
      const stored = ctx.world.securityHubFindings[index];
      if (stored === undefined) {
        unprocessed.push({
          FindingIdentifier: id,
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding Not Found',
        });
        continue;
      }
      ctx.world.securityHubFindings[index] = applyCustomerUpdate(stored, update.data, ctx.now);
      processed.push(id);
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  },
);

// ---- GetFindings -------------------------------------------------------------------------

function strings(value: unknown): string[] {
  return typeof value === 'string' ? [value] : [];
}

/** The string filters the sandbox answers, and the values of each in a finding. */
const STRING_FIELDS: Readonly<Record<string, (finding: AsffFinding) => readonly string[]>> = {
  Id: (f) => [f.Id],
  ProductArn: (f) => [f.ProductArn],
  GeneratorId: (f) => [f.GeneratorId],
  AwsAccountId: (f) => [f.AwsAccountId],
  Title: (f) => [f.Title],
  Region: (f) => strings(f.Region),
  RecordState: (f) => strings(f.RecordState),
  WorkflowStatus: (f) =>
    typeof f.Workflow === 'object' && f.Workflow !== null && 'Status' in f.Workflow
      ? strings(f.Workflow.Status)
      : [],
  SeverityLabel: (f) => strings(f.Severity?.Label),
  Type: (f) => f.Types ?? [],
  ResourceId: (f) => f.Resources.map((resource) => resource.Id),
  ResourceType: (f) => f.Resources.map((resource) => resource.Type),
};

const NEGATIVE = new Set(['NOT_EQUALS', 'NOT_CONTAINS', 'PREFIX_NOT_EQUALS']);

const StringFiltersSchema = z.array(
  z.object({ Value: z.string().optional(), Comparison: z.string().optional() }),
);

type Filter = z.infer<typeof StringFiltersSchema>[number];

function matchesOne(filter: Filter, value: string): boolean {
  const wanted = filter.Value ?? '';
  switch (filter.Comparison) {
    case 'EQUALS':
    case 'NOT_EQUALS':
      return value === wanted;
    case 'PREFIX':
    case 'PREFIX_NOT_EQUALS':
      return value.startsWith(wanted);
    case 'CONTAINS':
    case 'NOT_CONTAINS':
      return value.includes(wanted);
    default:
      throw new Error(
        `sandbox does not model SecurityHub.GetFindings comparison ${String(filter.Comparison)}`,
      );
  }
}

/** Security Hub ORs the positive filters on one field and ANDs the negative ones. */
function matchesField(filters: readonly Filter[], values: readonly string[]): boolean {
  const positive = filters.filter((f) => !NEGATIVE.has(f.Comparison ?? ''));
  const negative = filters.filter((f) => NEGATIVE.has(f.Comparison ?? ''));
  const anyPositive = positive.length === 0 || positive.some((f) => values.some((v) => matchesOne(f, v)));
  return anyPositive && negative.every((f) => values.every((v) => !matchesOne(f, v)));
}

function filterPredicate(filters: AwsSecurityFindingFilters): (finding: AsffFinding) => boolean {
  // The SDK types every filter list differently; only the string filters below are modelled.
  const entries: [string, unknown][] = Object.entries(filters);
  const checks = entries
    .filter(([, value]) => Array.isArray(value) && value.length > 0)
    .map(([name, value]) => {
      const read = STRING_FIELDS[name];
      const list = StringFiltersSchema.safeParse(value);
      if (read === undefined || !list.success) {
        throw new Error(`sandbox does not model SecurityHub.GetFindings filter ${name}`);
      }
      return (finding: AsffFinding) => matchesField(list.data, read(finding));
    });
  return (finding) => checks.every((check) => check(finding));
}

function pageStart(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const start = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
  if (!Number.isInteger(start) || start < 0) throw invalidInput('The NextToken is invalid');
  return start;
}

const getFindings = operation((input: GetFindingsCommandInput, ctx): Answer<GetFindingsCommandOutput> => {
  requireSubscribed(ctx);
  if (input.SortCriteria !== undefined && input.SortCriteria.length > 0) {
    throw new Error('sandbox does not model SecurityHub.GetFindings with SortCriteria');
  }
  const matching = ctx.world.securityHubFindings.filter(filterPredicate(input.Filters ?? {}));
  const start = pageStart(input.NextToken);
  const size = Math.min(Math.max(input.MaxResults ?? MAX_BATCH, 1), MAX_BATCH);
  const end = start + size;
  return {
    Findings: matching.slice(start, end).map((finding) => structuredClone(finding)),
    ...(end < matching.length ? { NextToken: Buffer.from(String(end), 'utf8').toString('base64url') } : {}),
  };
});

/** Security Hub operations by command name. */
export const SECURITY_HUB_OPERATIONS: OperationTable = {
  BatchImportFindings: batchImportFindings,
  BatchUpdateFindings: batchUpdateFindings,
  GetFindings: getFindings,
};
