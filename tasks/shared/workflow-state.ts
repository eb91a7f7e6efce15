/**
 * The state that travels between the workflow's states. It stays small (ids, counts and
 * summaries): keys, ACLs and verdicts live in the incident store, because Step Functions limits
 * each state's input and output to 256 KB.
 */
import { z } from 'zod';
import { TriggerSchema } from '../normalize-event/parse-event.js';
import { ResponderConfigSchema } from './config.js';
import { ClosedReasonSchema, SeveritySchema } from './contracts.js';

export const IntakeSchema = z.object({
  /** exposure: respond; account: fan out to buckets; ignore: a failed call, our own change, or irrelevant. */
  kind: z.enum(['exposure', 'account', 'ignore']),
  reason: z.string(),
});

export const RegistrationSchema = z.object({
  /** owner: this execution holds the bucket; joined: another does, and has this event now; duplicate: seen before. */
  role: z.enum(['owner', 'joined', 'duplicate']),
  holder: z.string().nullable(),
});

export const AssessmentSchema = z.object({
  /**
   * public: a new or wider exposure to report; partial: could not fully assess; notPublic: nothing
   * to answer (and an open incident, if any, closes); alreadyReported: the open incident's exposure.
   */
  outcome: z.enum(['public', 'partial', 'notPublic', 'alreadyReported', 'excepted']),
  incidentId: z.string().nullable(),
  severity: SeveritySchema,
  fingerprint: z.string(),
  summary: z.string(),
  vectorCount: z.number().int(),
  keyCount: z.number().int(),
  /** The incident's response mode, for the workflow's choice. */
  mode: z.enum(['auto', 'approve', 'notify']),
  /** The exception that covers the exposure, when the outcome is excepted. */
  exceptionId: z.string().nullable(),
});

export const FindingStepSchema = z.object({
  findingId: z.string().nullable(),
  written: z.boolean(),
  /** Why it was not written (for example Security Hub not enabled), or null. */
  problem: z.string().nullable(),
});

export const RemediationStepSchema = z.object({
  /** applied: changes made, to verify; notPublic: nothing to do any more; newVectorsOnly: a new decision is needed. */
  outcome: z.enum(['applied', 'notPublic', 'newVectorsOnly']),
  backupLocation: z.string().nullable(),
  actions: z.number().int(),
  vectorsLeft: z.number().int(),
});

export const VerificationSchema = z.object({
  /** The ways in that were fixed are gone from a fresh read. */
  verified: z.boolean(),
  /** The bucket is still public some other way (a new decision follows). */
  stillPublic: z.boolean(),
  attempts: z.number().int(),
});

export const ErrorInfoSchema = z.object({ Error: z.string(), Cause: z.unknown().optional() });

export const WorkflowStateSchema = z.looseObject({
  executionId: z.string().min(1),
  config: ResponderConfigSchema,
  intake: IntakeSchema,
  trigger: TriggerSchema.nullable(),
  registration: RegistrationSchema.optional(),
  assessment: AssessmentSchema.optional(),
  finding: FindingStepSchema.optional(),
  close: z.object({ reason: ClosedReasonSchema }).optional(),
  lease: z.object({ outcome: z.enum(['released', 'moreEvents', 'notHeld']) }).optional(),
  remediation: RemediationStepSchema.optional(),
  verification: VerificationSchema.optional(),
  error: ErrorInfoSchema.optional(),
});
export type WorkflowState = z.infer<typeof WorkflowStateSchema>;
export type Assessment = z.infer<typeof AssessmentSchema>;
