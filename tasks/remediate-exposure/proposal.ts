import {
  type BucketAccessSnapshotInput,
  BucketAccessSnapshotSchema,
  type ExposureVerdict,
  type Incident,
} from '../shared/contracts.js';
import { describeAction, planRemediation } from './plan.js';

/**
 * The fix the responder would apply now, in plain words, with its blast radius: what a person
 * needs to decide, in the alert (and, later, on the approval page).
 */
export function proposalFor(
  raw: BucketAccessSnapshotInput,
  verdict: ExposureVerdict,
  settings: { preferBlockPublicAccess: boolean; maxObjectKeys: number },
): Incident['proposal'] {
  try {
    const plan = planRemediation({
      snapshot: BucketAccessSnapshotSchema.parse(raw),
      policyText: typeof raw.bucketPolicy === 'string' ? raw.bucketPolicy : null,
      verdict,
      settings,
    });
    const owners = Object.entries(plan.blastRadius.ownerTags).map(([k, v]) => `${k}=${v}`);
    return {
      changes: plan.actions.map(describeAction),
      blastRadius: [
        ...plan.blastRadius.notes,
        ...(owners.length > 0 ? [`owner tags: ${owners.join(', ')}`] : []),
      ],
    };
  } catch {
    // A plan that cannot be made now (flags not read, say) is made, or refused, when acting.
    return null;
  }
}
