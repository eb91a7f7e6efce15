import type { z } from 'zod';
import { InvalidInputError } from './errors.js';

/** A zod issue path as a person reads it: `bucketPolicy.Statement[0].Effect`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

/** Each issue as "field: message". */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const field = formatPath(issue.path);
    return field ? `${field}: ${issue.message}` : issue.message;
  });
}

/**
 * Parses `value` with `schema`, or throws an InvalidInputError whose message names `what`
 * (for example "snapshot 3") and the first field that is wrong.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  throw new InvalidInputError(`${what}: ${issues[0] ?? 'invalid'}`, issues);
}
