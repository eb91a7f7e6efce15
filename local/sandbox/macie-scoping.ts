/**
 * A classification job's object scope, as Macie reads `s3JobDefinition.scoping`: property terms
 * ANDed within `includes` and within `excludes` (exclusion wins); OBJECT_KEY only with
 * STARTS_WITH and OBJECT_EXTENSION only with EQ or NE, both taking several values ORed; OBJECT_SIZE
 * and OBJECT_LAST_MODIFIED_DATE with any comparator but CONTAINS and STARTS_WITH, one value each
 * (SimpleScopeTerm in the Macie API reference). A term Macie would refuse is a ValidationException.
 */
import type { JobScopeTerm, JobScopingBlock, Scoping, SimpleScopeTerm } from '@aws-sdk/client-macie2';
import { sha256Hex } from '../../tasks/shared/hash.js';
import { AwsApiError } from './aws-error.js';

/** What a scope term can look at in an object. */
export interface ObjectFacts {
  readonly key: string;
  readonly size: number;
  readonly lastModified: string | undefined;
}

const COMPARATORS: Readonly<Record<string, readonly string[]>> = {
  OBJECT_KEY: ['STARTS_WITH'],
  OBJECT_EXTENSION: ['EQ', 'NE'],
  OBJECT_SIZE: ['EQ', 'GT', 'GTE', 'LT', 'LTE', 'NE'],
  OBJECT_LAST_MODIFIED_DATE: ['EQ', 'GT', 'GTE', 'LT', 'LTE', 'NE'],
};

/** Keys whose term may list several values, joined with OR. */
const MULTI_VALUED = new Set(['OBJECT_KEY', 'OBJECT_EXTENSION']);

function invalid(message: string): AwsApiError {
  return new AwsApiError('ValidationException', message);
}

function checkSimpleTerm(term: SimpleScopeTerm, where: string): void {
  const key = term.key ?? '';
  const allowed = COMPARATORS[key];
  if (allowed === undefined)
    throw invalid(`${where}.key: ${key || '(none)'} is not a valid scope filter key`);
  if (!allowed.includes(term.comparator ?? '')) {
    throw invalid(`${where}.comparator: ${term.comparator ?? '(none)'} is not valid for ${key}`);
  }
  const values = term.values ?? [];
  if (values.length === 0) throw invalid(`${where}.values: at least one value is required`);
  if (values.length > 1 && !MULTI_VALUED.has(key)) throw invalid(`${where}.values: ${key} takes one value`);
  const [value = ''] = values;
  if (key === 'OBJECT_SIZE' && !/^\d+$/.test(value)) {
    throw invalid(`${where}.values: ${key} takes a size in bytes`);
  }
  if (key === 'OBJECT_LAST_MODIFIED_DATE' && Number.isNaN(Date.parse(value))) {
    throw invalid(`${where}.values: ${key} takes an ISO 8601 date and time`);
  }
}

function checkTerm(term: JobScopeTerm, where: string): void {
  if (term.tagScopeTerm !== undefined) throw new Error('sandbox does not model Macie2 tag scope terms');
  if (term.simpleScopeTerm === undefined)
    throw invalid(`${where}: a simpleScopeTerm or tagScopeTerm is required`);
  checkSimpleTerm(term.simpleScopeTerm, `${where}.simpleScopeTerm`);
}

/**
 * Checks a job's scoping as Macie would before it creates the job.
 *
 * @throws AwsApiError ValidationException naming the term Macie would refuse.
 */
export function checkScoping(scoping: Scoping | undefined): void {
  for (const [name, block] of [
    ['includes', scoping?.includes],
    ['excludes', scoping?.excludes],
  ] as const) {
    (block?.and ?? []).forEach((term, i) => {
      checkTerm(term, `s3JobDefinition.scoping.${name}.and.${i}`);
    });
  }
}

function compare(comparator: string, actual: number, wanted: number): boolean {
  switch (comparator) {
    case 'EQ':
      return actual === wanted;
    case 'NE':
      return actual !== wanted;
    case 'GT':
      return actual > wanted;
    case 'GTE':
      return actual >= wanted;
    case 'LT':
      return actual < wanted;
    default:
      return actual <= wanted;
  }
}

function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1) : '';
}

function termHolds(term: SimpleScopeTerm, object: ObjectFacts): boolean {
  const values = term.values ?? [];
  const [value = ''] = values;
  switch (term.key) {
    case 'OBJECT_KEY':
      return values.some((prefix) => object.key.startsWith(prefix));
    case 'OBJECT_EXTENSION': {
      const found = values.includes(extensionOf(object.key));
      return term.comparator === 'EQ' ? found : !found;
    }
    case 'OBJECT_SIZE':
      return compare(term.comparator ?? '', object.size, Number(value));
    default: {
      // Never written objects count as written at the epoch.
      const modified = Date.parse(object.lastModified ?? '1970-01-01T00:00:00Z');
      return compare(term.comparator ?? '', modified, Date.parse(value));
    }
  }
}

function blockHolds(block: JobScopingBlock, object: ObjectFacts): boolean {
  return (block.and ?? []).every((term) =>
    term.simpleScopeTerm === undefined ? true : termHolds(term.simpleScopeTerm, object),
  );
}

/** Whether a checked scoping selects the object: every include term holds, not every exclude term. */
export function inScope(scoping: Scoping | undefined, object: ObjectFacts): boolean {
  const included = scoping?.includes === undefined || blockHolds(scoping.includes, object);
  const excludes = scoping?.excludes;
  const excluded = excludes !== undefined && (excludes.and ?? []).length > 0 && blockHolds(excludes, object);
  return included && !excluded;
}

/**
 * The keys a job with `samplingPercentage` analyses: all of them at 100, else that share of
 * them (at least one), picked by a hash of the job id and key: at random, as Macie picks, yet
 * the same on every run of a test.
 */
export function sampleKeys(keys: readonly string[], percentage: number, jobId: string): string[] {
  if (percentage >= 100 || keys.length === 0) return [...keys].sort();
  const count = Math.max(1, Math.floor((keys.length * percentage) / 100));
  return keys
    .map((key) => ({ key, rank: sha256Hex(`${jobId}\n${key}`) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .slice(0, count)
    .map(({ key }) => key)
    .sort();
}
