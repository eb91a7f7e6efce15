/**
 * Security Hub's rules for a finding's life (DESIGN.md section 3, "Finding"): what an import
 * must contain, what a later import may change, and what only a customer's BatchUpdateFindings
 * may change. Pure: findings in, findings out.
 */
import type { BatchUpdateFindingsCommandInput } from '@aws-sdk/client-securityhub';
import { z } from 'zod';
import { stableStringify } from '../../tasks/shared/hash.js';
import { isObject } from './json.js';

/** ASFF severity labels. */
export const SEVERITY_LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
/** The workflow statuses BatchUpdateFindings accepts. */
export const WORKFLOW_STATUSES = ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] as const;

const IsoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'should be an ISO 8601 time');
const SeveritySchema = z.looseObject({ Label: z.enum(SEVERITY_LABELS).optional() });

/**
 * The ASFF fields BatchImportFindings requires. Severity and Types may come either at the top
 * level or under FindingProviderFields, the way finding providers are told to send them.
 */
export const AsffFindingSchema = z
  .looseObject({
    SchemaVersion: z.string().min(1),
    Id: z.string().min(1),
    ProductArn: z.string().min(1),
    GeneratorId: z.string().min(1),
    AwsAccountId: z.string().regex(/^\d{12}$/, 'should be a 12-digit account ID'),
    Types: z.array(z.string()).optional(),
    CreatedAt: IsoTime,
    UpdatedAt: IsoTime,
    Severity: SeveritySchema.optional(),
    Title: z.string().min(1),
    Description: z.string().min(1),
    Resources: z.array(z.looseObject({ Type: z.string().min(1), Id: z.string().min(1) })).min(1),
    FindingProviderFields: z
      .looseObject({ Types: z.array(z.string()).optional(), Severity: SeveritySchema.optional() })
      .optional(),
  })
  .superRefine((finding, ctx) => {
    if (!finding.Types?.length && !finding.FindingProviderFields?.Types?.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['Types'],
        message: 'is required (or FindingProviderFields.Types)',
      });
    }
    if (
      finding.Severity?.Label === undefined &&
      finding.FindingProviderFields?.Severity?.Label === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['Severity'],
        message: 'is required (Severity.Label or FindingProviderFields.Severity.Label)',
      });
    }
  });
/** A finding that satisfies {@link AsffFindingSchema}; other ASFF fields pass through. */
export type AsffFinding = z.infer<typeof AsffFindingSchema>;

/** Why Security Hub refuses a finding, worded as it does ("Finding does not adhere to …"). */
export function findingProblem(finding: unknown): string | null {
  const result = AsffFindingSchema.safeParse(finding);
  if (result.success) return null;
  const [issue] = result.error.issues;
  const path = issue?.path.map(String).join('.') ?? '';
  const missing =
    issue !== undefined && valueAt(finding, issue.path) === undefined && issue.code !== 'custom';
  return `Finding does not adhere to Amazon Finding Format. data.${path} ${missing ? 'is required' : (issue?.message ?? 'is invalid')}`;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const part of path) {
    if (Array.isArray(current) && typeof part === 'number') current = current[part];
    else if (isObject(current) && typeof part === 'string') current = current[part];
    else return undefined;
  }
  return current;
}

/** The key Security Hub stores a finding under. */
export function findingKey(finding: { readonly Id: string; readonly ProductArn: string }): string {
  return `${finding.ProductArn}\n${finding.Id}`;
}

/** Fields only BatchUpdateFindings changes after creation; a later import's values are ignored. */
const CUSTOMER_FIELDS = ['Note', 'UserDefinedFields', 'VerificationState', 'Workflow'] as const;
/** Fields a provider changes after creation only through FindingProviderFields. */
const PROVIDER_FIELDS = ['Confidence', 'Criticality', 'RelatedFindings', 'Severity', 'Types'] as const;

/** A copy of an object value, or an empty object for anything else. */
function record(value: unknown): Record<string, unknown> {
  return isObject(value) ? { ...value } : {};
}

/** Severity compares by label: the provider's copy may also carry `Original`. */
function sameValue(field: string, a: unknown, b: unknown): boolean {
  if (field === 'Severity') return record(a).Label === record(b).Label;
  return stableStringify(a ?? null) === stableStringify(b ?? null);
}

// Findings are rebuilt field by field below; parsing the result again keeps the type honest
// (every value came from a finding or an update that already passed its schema).

/** Where the finding lives and when Security Hub processed it. */
export interface ImportContext {
  readonly now: Date;
  readonly region: string;
}

/**
 * A new finding as Security Hub stores it: FindingProviderFields filled from the top-level
 * fields where the provider left it empty, and the workflow starting at NEW.
 */
export function createFinding(incoming: AsffFinding, at: ImportContext): AsffFinding {
  const provider = record(incoming.FindingProviderFields);
  for (const field of PROVIDER_FIELDS) {
    if (provider[field] === undefined && incoming[field] !== undefined) provider[field] = incoming[field];
  }
  const finding: Record<string, unknown> = {
    ...incoming,
    FindingProviderFields: provider,
    ProductName: incoming.ProductName ?? 'Default',
    CompanyName: incoming.CompanyName ?? 'Personal',
    Region: at.region,
    Workflow: incoming.Workflow ?? { Status: 'NEW' },
    RecordState: incoming.RecordState ?? 'ACTIVE',
    ProcessedAt: at.now.toISOString(),
  };
  // A top-level field the provider gave only under FindingProviderFields mirrors it.
  for (const field of PROVIDER_FIELDS) {
    if (finding[field] === undefined && provider[field] !== undefined) finding[field] = provider[field];
  }
  return AsffFindingSchema.parse(finding);
}

/**
 * The stored finding after a later BatchImportFindings of the same Id and ProductArn, or null
 * when the import is older than what is stored (Security Hub ignores it).
 */
export function refreshFinding(
  stored: AsffFinding,
  incoming: AsffFinding,
  at: ImportContext,
): AsffFinding | null {
  if (Date.parse(incoming.UpdatedAt) < Date.parse(stored.UpdatedAt)) return null;
  const oldProvider = record(stored.FindingProviderFields);
  const newProvider = { ...oldProvider, ...record(incoming.FindingProviderFields) };
  const next: Record<string, unknown> = {
    ...incoming,
    FindingProviderFields: newProvider,
    ProductName: stored.ProductName,
    CompanyName: stored.CompanyName,
    Region: stored.Region,
    RecordState: incoming.RecordState ?? stored.RecordState,
    ProcessedAt: at.now.toISOString(),
  };
  for (const field of CUSTOMER_FIELDS) next[field] = stored[field];
  for (const field of PROVIDER_FIELDS) {
    // The top-level value follows the provider's unless a customer has changed it since.
    const followsProvider = sameValue(field, stored[field], oldProvider[field]);
    next[field] = followsProvider && newProvider[field] !== undefined ? newProvider[field] : stored[field];
  }
  for (const field of [...CUSTOMER_FIELDS, ...PROVIDER_FIELDS]) {
    if (next[field] === undefined) delete next[field];
  }
  return AsffFindingSchema.parse(next);
}

/** BatchUpdateFindings' fields, checked as Security Hub checks them before touching any finding. */
export const CustomerUpdateSchema = z.object({
  Note: z.object({ Text: z.string().min(1).max(512), UpdatedBy: z.string().min(1).max(512) }).optional(),
  Severity: z
    .object({
      Label: z.enum(SEVERITY_LABELS).optional(),
      Normalized: z.number().int().min(0).max(100).optional(),
      Product: z.number().optional(),
    })
    .optional(),
  VerificationState: z.enum(['UNKNOWN', 'TRUE_POSITIVE', 'FALSE_POSITIVE', 'BENIGN_POSITIVE']).optional(),
  Confidence: z.number().int().min(0).max(100).optional(),
  Criticality: z.number().int().min(0).max(100).optional(),
  Types: z.array(z.string()).optional(),
  UserDefinedFields: z.record(z.string(), z.string()).optional(),
  Workflow: z.object({ Status: z.enum(WORKFLOW_STATUSES) }).optional(),
  RelatedFindings: z.array(z.object({ Id: z.string(), ProductArn: z.string() })).optional(),
});
/** A checked BatchUpdateFindings update. */
export type CustomerUpdate = z.infer<typeof CustomerUpdateSchema>;

/** Reads the update part of a BatchUpdateFindings request. */
export function customerUpdateOf(
  input: BatchUpdateFindingsCommandInput,
): ReturnType<typeof CustomerUpdateSchema.safeParse> {
  const { FindingIdentifiers: _ids, ...update } = input;
  return CustomerUpdateSchema.safeParse(update);
}

/**
 * The finding after a customer's BatchUpdateFindings. `UpdatedAt` stays: it is the provider's
 * time, and Security Hub documents that BatchUpdateFindings does not change it.
 */
export function applyCustomerUpdate(stored: AsffFinding, update: CustomerUpdate, now: Date): AsffFinding {
  const next: Record<string, unknown> = { ...stored, ProcessedAt: now.toISOString() };
  if (update.Note) next.Note = { ...update.Note, UpdatedAt: now.toISOString() };
  if (update.Severity) next.Severity = { ...record(stored.Severity), ...update.Severity };
  if (update.Workflow) next.Workflow = { Status: update.Workflow.Status };
  for (const field of [
    'VerificationState',
    'Confidence',
    'Criticality',
    'Types',
    'UserDefinedFields',
    'RelatedFindings',
  ] as const) {
    if (update[field] !== undefined) next[field] = update[field];
  }
  return AsffFindingSchema.parse(next);
}
