/**
 * Named errors of the remediation steps. Each class's `name` is its `ErrorEquals` string.
 * Throttling and other transient SDK errors are not wrapped: they keep the SDK's own names so
 * the state machine's retriers can match them.
 */
import { ResponderError } from '../shared/errors.js';
import type { AppliedAction } from './apply.js';
import type { RemediationAction } from './plan.js';

/**
 * S3 refused one change of a remediation plan (AccessDenied, AccessControlListNotSupported,
 * MalformedPolicy…). A retry would be refused again, so the workflow escalates to a person.
 * `applied` lists what had already been changed, so the person knows the bucket's state.
 */
export class RemediationApplyError extends ResponderError {
  override name = 'RemediationApplyError';

  constructor(
    /** The change S3 refused. */
    readonly action: RemediationAction,
    /** The S3 error name, e.g. `AccessDenied`. */
    readonly code: string,
    /** What had been applied (or skipped) before the refusal, in order. */
    readonly applied: readonly AppliedAction[],
    /** The action in plain words (`describeAction`). */
    description: string,
    /** S3's own message. */
    detail: string,
    options?: { cause?: unknown },
  ) {
    const count = applied.filter((a) => a.outcome === 'applied').length;
    const before =
      count === 0 ? 'nothing had been changed before' : `${count} change(s) had been applied before`;
    super(`S3 refused to ${description}: ${code}${detail ? ` (${detail})` : ''}; ${before}`, options);
  }
}

/**
 * A plan cannot be made safely from the snapshot: for example bucket Block Public Access was
 * not read, so a PutPublicAccessBlock (which replaces all four flags) could turn a flag off.
 */
export class RemediationPlanError extends ResponderError {
  override name = 'RemediationPlanError';
}
