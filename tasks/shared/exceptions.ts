/**
 * Exceptions: an owner's word that a bucket may be public in exactly these ways, until a date.
 * An exception covers an exposure only when it is well-formed, unexpired, for this bucket, and
 * names every way in the exposure has; a wider exposure is not covered.
 */
import { z } from 'zod';
import { type ExposureVerdict, type Vector, VectorSchema } from './contracts.js';
import { stableStringify } from './hash.js';
import { describeIssues } from './validation.js';

export const ExceptionEntrySchema = z.object({
  id: z.string().min(1),
  bucket: z.string().min(3),
  /** The ways in it allows, in the verdict's vector shape. */
  vectors: z.array(VectorSchema).min(1, 'an exception names at least one vector'),
  owner: z.string().min(1),
  reason: z.string().min(1),
  expiry: z.iso.datetime({ offset: true }),
  createdAt: z.iso.datetime({ offset: true }).optional(),
  createdBy: z.string().optional(),
  /** registry: added by a person; rollback: registered by a rollback; tag: read from the bucket's tag. */
  source: z.enum(['registry', 'rollback', 'tag']).default('registry'),
});
export type ExceptionEntry = z.infer<typeof ExceptionEntrySchema>;
export type ExceptionEntryInput = z.input<typeof ExceptionEntrySchema>;

export interface ExceptionSettings {
  readonly byTag: boolean;
  readonly tagKey: string;
}

export interface Coverage {
  /** The exception that covers the whole exposure, or null. */
  readonly covering: ExceptionEntry | null;
  /** In plain words: why it is covered, or why no exception applies. */
  readonly why: string;
  /** Entries that could not be read: reported, never honoured. */
  readonly malformed: ReadonlyArray<{
    readonly index: number;
    readonly id: string | null;
    readonly problem: string;
  }>;
}

const vectorKey = (v: Vector) => stableStringify(v);

/**
 * Reads an exception from a bucket tag (only when enabled): `owner=…;reason=…;expiry=YYYY-MM-DD`.
 * A tag can only ever cover public READ: whoever can make a bucket public can usually tag it too.
 */
export function exceptionFromTag(
  bucket: string,
  tags: Readonly<Record<string, string>> | undefined,
  verdict: ExposureVerdict,
  settings: ExceptionSettings,
): ExceptionEntry | null {
  const value = settings.byTag ? tags?.[settings.tagKey] : undefined;
  if (!value) return null;
  const fields = Object.fromEntries(
    value.split(';').map((part) => {
      const [k = '', ...rest] = part.split('=');
      return [k.trim(), rest.join('=').trim()];
    }),
  );
  const expiry = tagDate(fields.expiry);
  const readVectors = verdict.vectors.filter((v) => v.access === 'read');
  if (!fields.owner || !fields.reason || !expiry || readVectors.length === 0) return null;
  return {
    id: `tag:${bucket}`,
    bucket,
    vectors: readVectors,
    owner: fields.owner,
    reason: fields.reason,
    expiry,
    source: 'tag',
  };
}

/** A tag's `YYYY-MM-DD` as an ISO time, or null for anything else (including dates that do not exist). */
function tagDate(text: string | undefined): string | null {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const date = new Date(`${text}T00:00:00.000Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text) ? date.toISOString() : null;
}

/** Decides whether an exposure is covered by one of the exceptions. Pure. */
export function coverage(input: {
  readonly bucket: string;
  readonly verdict: ExposureVerdict;
  readonly entries: readonly unknown[];
  readonly now: Date;
  readonly tags?: Readonly<Record<string, string>>;
  readonly settings: ExceptionSettings;
}): Coverage {
  const malformed: Array<{ index: number; id: string | null; problem: string }> = [];
  const entries: ExceptionEntry[] = [];
  input.entries.forEach((raw, index) => {
    const parsed = ExceptionEntrySchema.safeParse(raw);
    if (parsed.success) entries.push(parsed.data);
    else {
      const id = z.object({ id: z.string() }).safeParse(raw);
      malformed.push({
        index,
        id: id.success ? id.data.id : null,
        problem: describeIssues(parsed.error).join('; '),
      });
    }
  });
  const fromTag = exceptionFromTag(input.bucket, input.tags, input.verdict, input.settings);
  if (fromTag) entries.push(fromTag);

  const needed = input.verdict.vectors.map(vectorKey);
  const reasons: string[] = [];
  for (const entry of entries.filter((e) => e.bucket === input.bucket)) {
    if (Date.parse(entry.expiry) <= input.now.getTime()) {
      reasons.push(`exception ${entry.id} expired on ${entry.expiry}`);
      continue;
    }
    const allowed = new Set(entry.vectors.map(vectorKey));
    const uncovered = needed.filter((k) => !allowed.has(k)).length;
    if (uncovered === 0 && needed.length > 0) {
      return {
        covering: entry,
        why: `covered by exception ${entry.id}${entry.source === 'tag' ? ' (from the bucket tag)' : ''} (owner ${entry.owner}: ${entry.reason}; until ${entry.expiry})`,
        malformed,
      };
    }
    reasons.push(
      `exception ${entry.id} covers ${needed.length - uncovered} of the ${needed.length} ways in: the exposure is wider`,
    );
  }
  return { covering: null, why: reasons.join('; ') || 'no exception for this bucket', malformed };
}
