/**
 * Pure builders of the Security Hub findings (ASFF): one finding per incident, one per failed
 * execution. No AWS calls here; `security-hub.ts` sends what these build.
 *
 * Security Hub's rules shape the output: the `Id` is stable so retries and joining events update
 * the finding instead of duplicating it; severity and types are also written to
 * `FindingProviderFields`, because after creation Security Hub only takes them from there;
 * `Workflow.Status` is only honoured at creation (later changes go through BatchUpdateFindings).
 */
import type { AwsSecurityFinding, Partition, Resource } from '@aws-sdk/client-securityhub';
import { z } from 'zod';
import type { ClosedReason, Incident, MacieSummary, PublicAccessBlock } from '../contracts.js';
// The plain-words renderers live with the CLI; the finding and the CLI must say the same thing.
import { describeMacieSummary, describeMitigation, exposureLabel } from '../describe.js';
import { sha256Hex } from '../hash.js';

/** The finding's `GeneratorId`, and the first segment of every finding `Id` we write. */
export const GENERATOR_ID = 's3-exposure-responder';
export const SCHEMA_VERSION = '2018-10-08';

/** ASFF limits that a finding must respect, or BatchImportFindings refuses it. */
export const ASFF_LIMITS = {
  id: 512,
  title: 256,
  description: 1024,
  resources: 32,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
  noteText: 512,
  recommendationText: 512,
} as const;

/** The finding types we write. ASFF types are `namespace/category/classifier`. */
export const FINDING_TYPES = {
  publicAccess: 'Effects/Data Exposure/S3 Public Access',
  publicWrite: 'Effects/Data Exposure/S3 Public Write Access',
  crossAccount: 'Effects/Data Exposure/S3 Cross-Account Access',
  latent: 'Effects/Data Exposure/S3 Masked Public Access',
  notAssessed: 'Effects/Data Exposure/S3 Access Not Fully Assessed',
  failure: 'Software and Configuration Checks/S3 Exposure Responder/Execution Failed',
} as const;

const PARTITIONS: readonly Partition[] = ['aws', 'aws-cn', 'aws-us-gov', 'aws-us-iso', 'aws-us-iso-b'];

const BPA_DOCS =
  'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html';

// ---- Text helpers ------------------------------------------------------------------------

/**
 * Shortens `text` to at most `max` characters, at a word boundary when one is near, ending in
 * "…". Never splits a surrogate pair, so the result is still valid UTF-16.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  let cut = text.slice(0, max - 1);
  const lastCode = cut.charCodeAt(cut.length - 1);
  if (lastCode >= 0xd800 && lastCode <= 0xdbff) cut = cut.slice(0, -1);
  // Back off to a space only when it costs little, so one long word is still shown in part.
  const space = cut.search(/\s\S*$/);
  if (space > cut.length * 0.8) cut = cut.slice(0, space);
  return `${cut.replace(/[\s,;:.]+$/, '')}…`;
}

/**
 * Removes what must never reach a finding or a message even if it hides in outside text (a
 * policy Sid, an error message): links carrying a signature, token or credential in their
 * query, and long opaque values such as Step Functions task tokens.
 */
export function scrubSecrets(text: string): string {
  return (
    text
      .replace(
        /https?:\/\/[^\s"'<>]*[?&#](?:x-amz-[a-z-]+|[a-z0-9_-]*(?:signature|token|sig|credential|secret|key))=[^\s"'<>]*/gi,
        '[link removed]',
      )
      // Task tokens run to hundreds of characters; object keys and ARNs are broken up by dots or colons.
      .replace(/[A-Za-z0-9+/_-]{200,}={0,2}/g, '[long value removed]')
  );
}

const CauseSchema = z.looseObject({
  errorMessage: z.string().optional(),
  message: z.string().optional(),
  Cause: z.string().optional(),
});

/**
 * A failure's `Cause` as one short line. Step Functions passes a Lambda error as the JSON text
 * `{"errorType","errorMessage","trace"}`: only the message is kept, never traces or whole inputs.
 */
export function summarizeCause(cause: unknown, max = 300): string {
  let value: unknown = cause;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      value = JSON.parse(value);
    } catch {
      // Not JSON after all: the text itself is the cause.
    }
  }
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined || value === null) text = 'no cause given';
  else {
    const parsed = CauseSchema.safeParse(value);
    const message = parsed.success
      ? (parsed.data.errorMessage ?? parsed.data.message ?? parsed.data.Cause)
      : undefined;
    text = message ?? 'no message given';
  }
  return truncateText(scrubSecrets(text.replace(/\s+/g, ' ').trim()) || 'no cause given', max);
}

/**
 * A list as one sentence that fits `budget`: as many items as fit, then "(and N more)". If not
 * even the first item fits, it is shortened. Items are scrubbed before anything is cut: a secret
 * cut in half no longer looks like one, and its first half would pass a later scrub.
 */
function fitList(label: string, rawItems: readonly string[], budget: number): string {
  const items = rawItems.map(scrubSecrets);
  const [first] = items;
  if (first === undefined || budget <= 0) return '';
  const render = (shown: readonly string[]) => {
    const more = items.length - shown.length;
    return `${label}: ${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}.`;
  };
  const shown: string[] = [];
  for (const item of items) {
    if (render([...shown, item]).length > budget) break;
    shown.push(item);
  }
  return shown.length > 0 ? render(shown) : truncateText(render([first]), budget);
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

// ---- Ids, ARNs and links -----------------------------------------------------------------

/** The ProductArn of the account's default product, which any account may import findings into. */
export function productArnFor(partition: string, region: string, accountId: string): string {
  return `arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

/**
 * The finding Id of an incident: stable for the incident, so retries and joining events update
 * the same finding instead of creating another.
 */
export function findingIdFor(incident: Pick<Incident, 'region' | 'accountId' | 'incidentId'>): string {
  return `${GENERATOR_ID}/${incident.region}/${incident.accountId}/${incident.incidentId}`;
}

/** The finding Id of a failed execution: stable for the execution, so a retried report updates it. */
export function failureFindingIdFor(region: string, accountId: string, executionId: string): string {
  const prefix = `${GENERATOR_ID}/${region}/${accountId}/failure/`;
  // Execution ARNs are usually short enough; a hash keeps an unusually long one within the limit.
  const id = `${prefix}${executionId}`;
  return id.length <= ASFF_LIMITS.id ? id : `${prefix}${sha256Hex(executionId)}`;
}

/** `arn:<partition>:s3:::<bucket>`, or with `/<key>` for an object. */
export function s3Arn(partition: string, bucket: string, key?: string): string {
  return `arn:${partition}:s3:::${bucket}${key === undefined ? '' : `/${key}`}`;
}

function baseUrl(consoleBaseUrl: string): string {
  return consoleBaseUrl.replace(/\/+$/, '');
}

/** The Region of a Step Functions execution ARN, when `executionId` is one. */
function executionRegion(executionId: string): string | undefined {
  const match = /^arn:[^:]+:states:([^:]+):/.exec(executionId);
  return match?.[1];
}

/**
 * Deep link to an execution in the Step Functions console. The Region comes from the execution
 * ARN when it has one (the workflow may run in another Region than the bucket).
 */
export function executionConsoleUrl(consoleBaseUrl: string, region: string, executionId: string): string {
  const where = executionRegion(executionId) ?? region;
  return `${baseUrl(consoleBaseUrl)}/states/home?region=${where}#/v2/executions/details/${executionId}`;
}

/** Link to the bucket's permissions tab in the S3 console. */
export function bucketConsoleUrl(consoleBaseUrl: string, region: string, bucket: string): string {
  return `${baseUrl(consoleBaseUrl)}/s3/buckets/${encodeURIComponent(bucket)}?region=${region}&tab=permissions`;
}

/** The two links every finding and message carries. */
export interface ConsoleLinks {
  readonly execution: string;
  readonly bucket: string;
}

/** The execution and bucket console links of an incident, for findings and messages alike. */
export function consoleLinks(
  incident: Pick<Incident, 'region' | 'bucket'>,
  executionId: string,
  consoleBaseUrl: string,
): ConsoleLinks {
  return {
    execution: executionConsoleUrl(consoleBaseUrl, incident.region, executionId),
    bucket: bucketConsoleUrl(consoleBaseUrl, incident.region, incident.bucket),
  };
}

function resourcePartition(partition: string): { Partition?: Partition } {
  const known = PARTITIONS.find((p) => p === partition);
  return known === undefined ? {} : { Partition: known };
}

// ---- The exposure finding ----------------------------------------------------------------

/** What a finding needs besides the incident. */
export interface ExposureFindingContext {
  /** `aws`, `aws-cn`, `aws-us-gov`: used in every ARN. */
  readonly partition: string;
  /** The execution writing the finding (`$$.Execution.Id`); linked from `SourceUrl`. */
  readonly executionId: string;
  /** The console's base URL (config `consoleBaseUrl`). */
  readonly consoleBaseUrl: string;
  /** `UpdatedAt`: later than the previous import, or Security Hub keeps the old version. */
  readonly now: Date;
  /**
   * The bucket's own Block Public Access flags as last read: null when none are set (all off),
   * left out when not known (then the finding does not claim any).
   */
  readonly publicAccessBlock?: PublicAccessBlock | null;
  /** The Region Security Hub is called in, if not the incident's (the ProductArn must match it). */
  readonly region?: string;
}

const CLOSED_WORDS: Record<ClosedReason, string> = {
  REMEDIATED: 'remediated',
  NOT_PUBLIC: 'no longer public',
  BUCKET_DELETED: 'bucket deleted',
};

/** Why an incident closed, in a few words. */
export function closedWords(incident: Pick<Incident, 'closedReason'>): string {
  return incident.closedReason ? CLOSED_WORDS[incident.closedReason] : 'closed';
}

/** The distinct object keys that are public through their own ACL, in verdict order. */
export function exposedObjectKeys(incident: Pick<Incident, 'verdict'>): string[] {
  return unique(
    incident.verdict.vectors.flatMap((v) => (v.source === 'objectAcl' && v.key !== null ? [v.key] : [])),
  );
}

/** The finding types of an incident, from its verdict; never empty. */
export function findingTypes(incident: Pick<Incident, 'verdict'>): string[] {
  const v = incident.verdict;
  const types: string[] = [];
  if (v.effectivelyPublic) types.push(FINDING_TYPES.publicAccess);
  if (v.publicWrite) types.push(FINDING_TYPES.publicWrite);
  if (v.crossAccount) types.push(FINDING_TYPES.crossAccount);
  if (!v.effectivelyPublic && v.latent.length > 0) types.push(FINDING_TYPES.latent);
  if (v.unknown.length > 0) types.push(FINDING_TYPES.notAssessed);
  // A closed episode's last reading may be private: the finding is still about the exposure it had.
  if (types.length === 0) types.push(FINDING_TYPES.publicAccess);
  return types;
}

function findingTitle(incident: Incident): string {
  const text =
    incident.status === 'CLOSED'
      ? `S3 bucket ${incident.bucket}: exposure ended (${closedWords(incident)})`
      : `S3 bucket ${incident.bucket}: ${exposureLabel(incident.verdict)}`;
  return truncateText(scrubSecrets(text), ASFF_LIMITS.title);
}

function findingDescription(incident: Incident, omittedObjects: number): string {
  const v = incident.verdict;
  const where = `S3 bucket ${incident.bucket} in account ${incident.accountId} (${incident.region})`;
  const head =
    incident.status === 'CLOSED'
      ? `${where}: exposure ended (${closedWords(incident)}). ${
          v.effectivelyPublic ? 'It was' : 'Last reading:'
        } ${exposureLabel(v)} [${v.severity}].`
      : `${where} is ${exposureLabel(v)} [${v.severity}].`;
  const omitted =
    omittedObjects > 0
      ? `${omittedObjects} more exposed object(s) are not listed as resources (a finding holds at most ${ASFF_LIMITS.resources}).`
      : '';
  const response = `Response: ${incident.mode} mode (${incident.modeReason}); ${incident.response}.`;

  const why = unique(v.reasons.map((r) => r.why));
  const fix = unique(v.mitigations.map(describeMitigation));
  const notAssessed = v.unknown.map((u) => `${u.part}${u.key ? ` "${u.key}"` : ''}: ${u.why}`);

  const fixed = [head, omitted, response].filter(Boolean);
  // One newline between each of the (up to) six parts.
  let remaining = ASFF_LIMITS.description - fixed.join('\n').length - 3;
  // The reasons get most of the room, the fixes what the reasons leave (at least 40%), and what
  // could not be assessed at most a fifth: it is usually short, and the incident has the rest.
  const unknownText = fitList('Could not assess', notAssessed, Math.floor(remaining * 0.2));
  remaining -= unknownText.length;
  const fullFix = fitList('What would fix it', fix, Number.MAX_SAFE_INTEGER);
  const whyText = fitList(
    'Why',
    why,
    Math.min(remaining, Math.max(Math.floor(remaining * 0.6), remaining - fullFix.length)),
  );
  remaining -= whyText.length;
  const fixText = fitList('What would fix it', fix, remaining);

  const text = [head, whyText, fixText, unknownText, omitted, response].filter(Boolean).join('\n');
  return truncateText(scrubSecrets(text), ASFF_LIMITS.description);
}

function stringField(record: Record<string, unknown> | null, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** Product fields: strings only, empty ones left out, keys and values within ASFF's limits. */
function productFields(entries: Record<string, string | number | boolean | null | undefined>) {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value === null || value === undefined || value === '') continue;
    if (Object.keys(fields).length >= ASFF_LIMITS.productFields) break;
    fields[key.slice(0, ASFF_LIMITS.productFieldKey)] = truncateText(
      scrubSecrets(String(value)),
      ASFF_LIMITS.productFieldValue,
    );
  }
  return fields;
}

function publicAccessBlockSummary(pab: PublicAccessBlock | null | undefined): string | undefined {
  if (pab === undefined) return undefined;
  if (pab === null) return 'none (all off)';
  const on = Object.entries(pab)
    .filter(([, value]) => value)
    .map(([flag]) => flag);
  return on.length > 0 ? `on: ${on.join(', ')}` : 'all off';
}

/**
 * The ASFF finding of an incident, ready for BatchImportFindings. It carries ids, the verdict's
 * reasons and fixes, object keys and links to the consoles: never task tokens, signed links or
 * object contents.
 */
export function buildExposureFinding(incident: Incident, ctx: ExposureFindingContext): AwsSecurityFinding {
  const { partition } = ctx;
  const region = ctx.region ?? incident.region;
  const productArn = productArnFor(partition, region, incident.accountId);
  const links = consoleLinks(incident, ctx.executionId, ctx.consoleBaseUrl);
  const v = incident.verdict;

  const keys = exposedObjectKeys(incident);
  const objectSlots = ASFF_LIMITS.resources - 1;
  const listedKeys = keys.slice(0, objectSlots);
  const omittedObjects = keys.length - listedKeys.length;
  // null means "read, none set": every flag is off.
  const pab = ctx.publicAccessBlock ?? null;
  const resources: Resource[] = [
    {
      Type: 'AwsS3Bucket',
      Id: s3Arn(partition, incident.bucket),
      Region: incident.region,
      ...resourcePartition(partition),
      Details: {
        AwsS3Bucket: {
          Name: incident.bucket,
          OwnerAccountId: incident.accountId,
          ...(ctx.publicAccessBlock === undefined
            ? {}
            : {
                PublicAccessBlockConfiguration: {
                  BlockPublicAcls: pab?.BlockPublicAcls ?? false,
                  IgnorePublicAcls: pab?.IgnorePublicAcls ?? false,
                  BlockPublicPolicy: pab?.BlockPublicPolicy ?? false,
                  RestrictPublicBuckets: pab?.RestrictPublicBuckets ?? false,
                },
              }),
        },
      },
    },
    ...listedKeys.map(
      (key): Resource => ({
        Type: 'AwsS3Object',
        Id: s3Arn(partition, incident.bucket, key),
        Region: incident.region,
        ...resourcePartition(partition),
      }),
    ),
  ];

  const types = findingTypes(incident);
  const eventTimes = incident.events.map((e) => e.time).sort();
  const fixes = unique(v.mitigations.map(describeMitigation));
  const related =
    incident.previousIncidentId === null
      ? undefined
      : [
          {
            ProductArn: productArn,
            Id: findingIdFor({ ...incident, incidentId: incident.previousIncidentId }),
          },
        ];

  return {
    SchemaVersion: SCHEMA_VERSION,
    Id: findingIdFor(incident),
    ProductArn: productArn,
    GeneratorId: GENERATOR_ID,
    AwsAccountId: incident.accountId,
    Region: region,
    Types: types,
    FirstObservedAt: incident.timings.eventTime,
    LastObservedAt: eventTimes.at(-1) ?? incident.timings.eventTime,
    CreatedAt: incident.timings.detectedAt,
    UpdatedAt: ctx.now.toISOString(),
    Severity: { Label: v.severity, Original: v.severity },
    Title: findingTitle(incident),
    Description: findingDescription(incident, omittedObjects),
    ...(fixes.length > 0
      ? {
          Remediation: {
            Recommendation: {
              Text: truncateText(
                scrubSecrets(fitList('Remove the public access', fixes, ASFF_LIMITS.recommendationText)),
                ASFF_LIMITS.recommendationText,
              ),
              Url: BPA_DOCS,
            },
          },
        }
      : {}),
    SourceUrl: links.execution,
    ProductFields: productFields({
      incidentId: incident.incidentId,
      fingerprint: v.fingerprint,
      executionId: ctx.executionId,
      incidentExecutionId: incident.executionId === ctx.executionId ? undefined : incident.executionId,
      status: incident.status,
      closedReason: incident.closedReason,
      response: incident.response,
      mode: incident.mode,
      modeReason: incident.modeReason,
      severity: v.severity,
      effectivelyPublic: v.effectivelyPublic,
      publicRead: v.publicRead,
      publicWrite: v.publicWrite,
      policyPublic: v.policyPublic,
      aclPublic: v.aclPublic,
      crossAccount: v.crossAccount,
      vectorCount: v.vectors.length,
      latentCount: v.latent.length,
      exposedObjectCount: keys.length,
      objectResourcesOmitted: omittedObjects > 0 ? omittedObjects : undefined,
      notAssessed: unique(v.unknown.map((u) => u.part)).join(', '),
      publicAccessBlock: publicAccessBlockSummary(ctx.publicAccessBlock),
      eventCount: incident.events.length,
      eventNames: unique(incident.events.map((e) => e.eventName)).join(', '),
      actors: unique(incident.events.flatMap((e) => (e.actor ? [e.actor] : []))).join(', '),
      sourceIps: unique(incident.events.flatMap((e) => (e.sourceIp ? [e.sourceIp] : []))).join(', '),
      eventTime: incident.timings.eventTime,
      detectedAt: incident.timings.detectedAt,
      notifiedAt: incident.timings.notifiedAt,
      containedAt: incident.timings.containedAt,
      previousIncidentId: incident.previousIncidentId,
      decision: stringField(incident.decision, 'decision'),
      decidedBy: stringField(incident.decision, 'by'),
      macieStatus: stringField(incident.macie, 'status'),
      macieJobId: stringField(incident.macie, 'jobId'),
      executionConsoleUrl: links.execution,
      bucketConsoleUrl: links.bucket,
    }),
    Resources: resources,
    RecordState: incident.status === 'CLOSED' ? 'ARCHIVED' : 'ACTIVE',
    Workflow: { Status: 'NEW' },
    ...(related ? { RelatedFindings: related } : {}),
    FindingProviderFields: {
      Severity: { Label: v.severity, Original: v.severity },
      Types: types,
      ...(related ? { RelatedFindings: related } : {}),
    },
  };
}

// ---- The failure finding -----------------------------------------------------------------

/** A failed execution, as ReportFailure knows it. */
export interface FailureFindingInput {
  readonly partition: string;
  /** The Region Security Hub is called in. */
  readonly region: string;
  readonly accountId: string;
  readonly executionId: string;
  /** The bucket the execution was about, when it got that far. */
  readonly bucket: string | null;
  /** The bucket's own Region, when it differs from the Region Security Hub is called in. */
  readonly bucketRegion?: string;
  /** The `Catch` result: `{ Error, Cause }`. */
  readonly error: { Error: string; Cause?: unknown };
  readonly now: Date;
  /** When given, `SourceUrl` links to the execution in the console. */
  readonly consoleBaseUrl?: string;
}

/**
 * The finding of a failed execution: one per execution (a retried report updates it), HIGH,
 * because an exposure may be left unanswered. The cause is summarised, never dumped.
 */
export function buildFailureFinding(input: FailureFindingInput): AwsSecurityFinding {
  const { partition, region, accountId, executionId, bucket, error, now } = input;
  const errorName = truncateText(scrubSecrets(error.Error || 'UnknownError'), 128);
  const cause = summarizeCause(error.Cause);
  const at = now.toISOString();
  const resources: Resource[] = [
    {
      Type: 'Other',
      Id: executionId,
      Region: executionRegion(executionId) ?? region,
      ...resourcePartition(partition),
      Details: { Other: { error: errorName } },
    },
    ...(bucket === null
      ? []
      : [
          {
            Type: 'AwsS3Bucket',
            Id: s3Arn(partition, bucket),
            Region: input.bucketRegion ?? region,
            ...resourcePartition(partition),
            Details: { AwsS3Bucket: { Name: bucket, OwnerAccountId: accountId } },
          },
        ]),
  ];
  const description = [
    `Execution ${executionId} failed with ${errorName}: ${cause}`,
    bucket === null
      ? 'The bucket could not be determined.'
      : `Bucket ${bucket} may still be exposed: check its permissions.`,
    'The execution history shows the state that failed.',
  ].join('\n');
  const sourceUrl =
    input.consoleBaseUrl === undefined
      ? undefined
      : executionConsoleUrl(input.consoleBaseUrl, region, executionId);
  return {
    SchemaVersion: SCHEMA_VERSION,
    Id: failureFindingIdFor(region, accountId, executionId),
    ProductArn: productArnFor(partition, region, accountId),
    GeneratorId: GENERATOR_ID,
    AwsAccountId: accountId,
    Region: region,
    Types: [FINDING_TYPES.failure],
    FirstObservedAt: at,
    CreatedAt: at,
    UpdatedAt: at,
    Severity: { Label: 'HIGH', Original: 'HIGH' },
    Title: truncateText(
      `S3 exposure responder failed: ${errorName}${bucket === null ? '' : ` (bucket ${bucket})`}`,
      ASFF_LIMITS.title,
    ),
    Description: truncateText(description, ASFF_LIMITS.description),
    ...(sourceUrl === undefined ? {} : { SourceUrl: sourceUrl }),
    ProductFields: productFields({
      executionId,
      error: errorName,
      bucket,
      executionConsoleUrl: sourceUrl,
    }),
    Resources: resources,
    RecordState: 'ACTIVE',
    Workflow: { Status: 'NEW' },
    FindingProviderFields: {
      Severity: { Label: 'HIGH', Original: 'HIGH' },
      Types: [FINDING_TYPES.failure],
    },
  };
}

// ---- Notes -------------------------------------------------------------------------------

/** A BatchUpdateFindings note. */
export interface WorkflowNote {
  readonly Text: string;
  readonly UpdatedBy: string;
}

/**
 * The note for a workflow change (decision, approver, outcome), within Security Hub's 512
 * characters and scrubbed of links and tokens.
 */
export function workflowNote(
  incident: Pick<Incident, 'incidentId'> & Partial<Pick<Incident, 'macie'>>,
  text: string,
  updatedBy: string,
): WorkflowNote {
  // The note is the finding's one free text: a scan's result stays in every note written after it.
  const macie =
    incident.macie && incident.macie.outcome !== 'pending' ? `\n${macieNoteLine(incident.macie)}` : '';
  return {
    Text: truncateText(
      scrubSecrets(`Incident ${incident.incidentId}: ${text}${macie}`),
      ASFF_LIMITS.noteText,
    ),
    UpdatedBy: truncateText(scrubSecrets(updatedBy), ASFF_LIMITS.noteText) || GENERATOR_ID,
  };
}

/** The line a finding's note gives the Macie scan (one per note: a later scan replaces it). */
export const MACIE_NOTE_PREFIX = 'Macie: ';

export function macieNoteLine(summary: MacieSummary): string {
  return `${MACIE_NOTE_PREFIX}${describeMacieSummary(summary)}`;
}
