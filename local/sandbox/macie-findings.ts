/**
 * Sensitive data findings in the shape of Macie's GetFindings: one per object with detections,
 * typed by the categories found (SensitiveData:S3Object/Financial, …/Multiple when several), at
 * the highest severity among its types (Macie User Guide, "Severity scoring for sensitive data
 * findings"). Occurrence locations are left out, and matched text never enters a finding.
 */
import {
  type Detections,
  type MacieCategory,
  type MacieSeverity,
  type ManagedDetection,
  SEVERITY_SCORE,
} from './macie-detectors.js';
import type { MacieFinding, MacieJob } from './macie-world.js';

const TYPE_BY_CATEGORY: Readonly<Record<MacieCategory, string>> = {
  CREDENTIALS: 'SensitiveData:S3Object/Credentials',
  FINANCIAL_INFORMATION: 'SensitiveData:S3Object/Financial',
  PERSONAL_INFORMATION: 'SensitiveData:S3Object/Personal',
  CUSTOM_IDENTIFIER: 'SensitiveData:S3Object/CustomIdentifier',
};

const TITLE_BY_CATEGORY: Readonly<Record<MacieCategory, string>> = {
  CREDENTIALS: 'The S3 object contains credentials data.',
  FINANCIAL_INFORMATION: 'The S3 object contains financial information.',
  PERSONAL_INFORMATION: 'The S3 object contains personal information.',
  CUSTOM_IDENTIFIER: 'The S3 object contains text that matches custom data identifiers.',
};

/** Custom data identifiers without severity settings produce Medium findings. */
const CUSTOM_SEVERITY: MacieSeverity = 'Medium';

function categoriesOf(detections: Detections): MacieCategory[] {
  const categories = new Set<MacieCategory>(detections.managed.map((d) => d.category));
  if (detections.custom.length > 0) categories.add('CUSTOM_IDENTIFIER');
  return [...categories];
}

function highest(severities: readonly MacieSeverity[]): MacieSeverity {
  return severities.reduce<MacieSeverity>(
    (top, s) => (SEVERITY_SCORE[s] > SEVERITY_SCORE[top] ? s : top),
    'Low',
  );
}

function sensitiveData(managed: readonly ManagedDetection[]) {
  const byCategory = new Map<string, ManagedDetection[]>();
  for (const detection of managed) {
    byCategory.set(detection.category, [...(byCategory.get(detection.category) ?? []), detection]);
  }
  return [...byCategory].map(([category, list]) => ({
    category,
    detections: list.map((d) => ({ type: d.type, count: d.count })),
    totalCount: list.reduce((sum, d) => sum + d.count, 0),
  }));
}

/** The object a finding is about. */
export interface FindingObject {
  readonly key: string;
  readonly size: number;
  readonly contentType: string | undefined;
  readonly lastModified: string | undefined;
}

/** Where the finding was made. */
export interface FindingContext {
  readonly id: string;
  readonly now: string;
  readonly accountId: string;
  readonly region: string;
  readonly ownerId: string;
}

function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1) : '';
}

/** A finding for one object, or null when nothing sensitive was found in it. */
export function sensitiveDataFinding(
  job: MacieJob,
  object: FindingObject,
  detections: Detections,
  at: FindingContext,
): MacieFinding | null {
  const categories = categoriesOf(detections);
  const [only] = categories;
  if (only === undefined) return null;
  const multiple = categories.length > 1;
  const severity = highest([
    ...detections.managed.map((d) => d.severity),
    ...(detections.custom.length > 0 ? [CUSTOM_SEVERITY] : []),
  ]);
  const bucketArn = `arn:aws:s3:::${job.scan.bucket}`;
  return {
    id: at.id,
    accountId: at.accountId,
    archived: false,
    category: 'CLASSIFICATION',
    classificationDetails: {
      jobArn: job.jobArn,
      jobId: job.jobId,
      originType: 'SENSITIVE_DATA_DISCOVERY_JOB',
      result: {
        status: { code: 'COMPLETE' },
        sizeClassified: object.size,
        mimeType: object.contentType ?? 'application/octet-stream',
        sensitiveData: sensitiveData(detections.managed),
        customDataIdentifiers: {
          detections: detections.custom.map((d) => ({
            arn: `arn:aws:macie2:${at.region}:${at.accountId}:custom-data-identifier/${d.id}`,
            name: d.name,
            count: d.count,
          })),
          totalCount: detections.custom.reduce((sum, d) => sum + d.count, 0),
        },
      },
    },
    count: 1,
    createdAt: at.now,
    updatedAt: at.now,
    description: multiple
      ? 'The object contains more than one category of sensitive data.'
      : TITLE_BY_CATEGORY[only],
    partition: 'aws',
    region: at.region,
    resourcesAffected: {
      s3Bucket: { arn: bucketArn, name: job.scan.bucket, owner: { id: at.ownerId } },
      s3Object: {
        bucketArn,
        key: object.key,
        path: `${job.scan.bucket}/${object.key}`,
        extension: extensionOf(object.key),
        size: object.size,
        ...(object.lastModified !== undefined ? { lastModified: object.lastModified } : {}),
      },
    },
    sample: false,
    schemaVersion: '1.0',
    severity: { description: severity, score: SEVERITY_SCORE[severity] },
    title: multiple
      ? 'The S3 object contains multiple categories of sensitive data.'
      : TITLE_BY_CATEGORY[only],
    type: multiple ? 'SensitiveData:S3Object/Multiple' : TYPE_BY_CATEGORY[only],
  };
}
