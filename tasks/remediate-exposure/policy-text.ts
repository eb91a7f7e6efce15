/**
 * A bucket policy as text, its statements kept as written and named by the classifier's hash,
 * so a statement is recognised wherever it moved: the plan removes exactly the public ones, and a
 * rollback re-adds them exactly as they were.
 */
import { statementHash } from '../classify-exposure/policy-analysis.js';
import { type BucketAccessSnapshotInput, PolicyStatementSchema } from '../shared/contracts.js';

/** One statement as written, its position, Sid and hash (null when it is not a valid statement). */
export interface StatementText {
  readonly raw: unknown;
  readonly index: number;
  readonly sid: string | null;
  readonly hash: string | null;
}

/** A policy document as written: its top-level fields and its statements. */
export interface PolicyText {
  readonly document: Readonly<Record<string, unknown>>;
  readonly statements: readonly StatementText[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The policy text of a snapshot part: the text as stored, an older parsed backup as JSON, or null. */
export function policyTextOf(policy: BucketAccessSnapshotInput['bucketPolicy']): string | null {
  if (policy === undefined || policy === null) return null;
  return typeof policy === 'string' ? policy : JSON.stringify(policy);
}

/** Reads a policy text; null when there is none or it is not a JSON object. */
export function readPolicyText(text: string | null): PolicyText | null {
  if (text === null) return null;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(document)) return null;
  // A single statement may be written as an object: it is one statement all the same.
  const raw = document.Statement;
  const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const statements = list.map((statement, index) => {
    // Hashed after the same parse as the classifier's, so the hashes agree with the verdict's.
    const parsed = PolicyStatementSchema.safeParse(statement);
    return {
      raw: statement,
      index,
      sid: parsed.success ? (parsed.data.Sid ?? null) : null,
      hash: parsed.success ? statementHash(parsed.data) : null,
    };
  });
  return { document, statements };
}

/** `statement 2 ("Sid")`, as the plan names statements. */
export function statementName(statement: Pick<StatementText, 'index' | 'sid'>): string {
  return statement.sid ? `statement ${statement.index} ("${statement.sid}")` : `statement ${statement.index}`;
}
