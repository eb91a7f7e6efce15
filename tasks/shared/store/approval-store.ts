/**
 * Approval records in the incident table. The record and its task token are separate items: the
 * page reads the record on every view and never needs the token; the token is read only to answer
 * the workflow, and deleted once the approval is decided, expired or superseded. A decision is one
 * conditional write (PENDING and before the deadline): the first wins, whoever makes it.
 *
 * | item                           | pk                  | sk                                  | kept          |
 * |--------------------------------|---------------------|-------------------------------------|---------------|
 * | the approval record            | APPROVAL#<id>       | RECORD                              | TTL 400 days  |
 * | its task token                 | APPROVAL#<id>       | TOKEN                               | until settled |
 * | an audit entry (view, decision)| APPROVAL#<id>       | AUDIT#<at>#<random>                 | TTL 400 days  |
 * | a request, for retries         | INCIDENT#<incident> | APPROVAL#<execution name>#<round>   | TTL 400 days  |
 * | the bucket's latest request    | BUCKET#<acct>#<b>   | APPROVAL                            | replaced      |
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  type ApprovalDecision,
  type ApprovalRecord,
  ApprovalRecordSchema,
  type ApprovalStatus,
} from '../contracts.js';
import { expiresAfterDays, keys, TTL_ATTRIBUTE } from './table.js';

/** How long approval records and their audit trail are kept: a year and a bit, for audits. */
export const APPROVAL_RETENTION_DAYS = 400;

/** One line of an approval's audit trail. Never a token, a signature or a key. */
export const ApprovalAuditEntrySchema = z.object({
  at: z.iso.datetime(),
  action: z.enum(['request', 'view', 'decide', 'refuse', 'deliver', 'expire', 'supersede', 'undelivered']),
  status: z.number().int().nullable(),
  detail: z.string().max(500),
  sourceIp: z.string().nullable(),
  userAgent: z.string().max(300).nullable(),
});
export type ApprovalAuditEntry = z.infer<typeof ApprovalAuditEntrySchema>;

/** What a decision came to: this call decided, or the approval was decided, expired or superseded before. */
export type DecideOutcome =
  | { readonly outcome: 'decided'; readonly record: ApprovalRecord }
  | { readonly outcome: 'already'; readonly record: ApprovalRecord };

const approvalKey = (id: string, sk: string) => ({ pk: `APPROVAL#${id}`, sk });
const requestKey = (incidentId: string, executionId: string, round: number) => ({
  pk: `INCIDENT#${incidentId}`,
  // The execution's name (the ARN's last part) is unique within the state machine.
  sk: `APPROVAL#${executionId.split(':').at(-1) ?? executionId}#${round}`,
});

const bucketKey = (ref: { readonly accountId: string; readonly bucket: string }) => ({
  pk: keys.bucket(ref),
  sk: 'APPROVAL',
});

const RecordItemSchema = z.object({
  record: z.unknown(),
  codeFailures: z.number().int().optional(),
  sentTo: z.set(z.string()).optional(),
  bounced: z.set(z.string()).optional(),
});
const TokenItemSchema = z.object({ taskToken: z.string().min(1) });
const RequestItemSchema = z.object({ approvalId: z.string() });

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

export class ApprovalStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#table = options.tableName;
  }

  /** The approval an execution already asked for in this round (a retried request), or null. */
  async findRequest(incidentId: string, executionId: string, round: number): Promise<string | null> {
    const item = await this.#get(requestKey(incidentId, executionId, round));
    const parsed = RequestItemSchema.safeParse(item);
    return parsed.success ? parsed.data.approvalId : null;
  }

  /**
   * Stores a new approval waiting with `taskToken`: the token first, then the record (which
   * makes the approval exist), then the request index that lets a retry find it.
   */
  async create(record: ApprovalRecord, taskToken: string, round: number, now: Date): Promise<void> {
    const ttl = { [TTL_ATTRIBUTE]: expiresAfterDays(now, APPROVAL_RETENTION_DAYS) };
    await this.bindToken(record.approvalId, taskToken, record.expiresAt);
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...approvalKey(record.approvalId, 'RECORD'), ...this.#recordAttributes(record), ...ttl },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...requestKey(record.incidentId, record.executionId, round),
          approvalId: record.approvalId,
          ...ttl,
        },
      }),
    );
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...bucketKey(record), approvalId: record.approvalId },
      }),
    );
  }

  /** The bucket's approval still waiting for a decision, or null. */
  async pendingFor(ref: {
    readonly accountId: string;
    readonly bucket: string;
  }): Promise<ApprovalRecord | null> {
    const pointer = RequestItemSchema.safeParse(await this.#get(bucketKey(ref)));
    const record = pointer.success ? await this.get(pointer.data.approvalId) : null;
    return record?.status === 'PENDING' ? record : null;
  }

  /** Waits on the approval with a new token (Step Functions gives a retried task a new one). */
  async bindToken(approvalId: string, taskToken: string, expiresAt: string): Promise<void> {
    // A token outlives its wait by a day at most, even if nothing settles the approval.
    const ttl = Math.floor(Date.parse(expiresAt) / 1000) + 86_400;
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...approvalKey(approvalId, 'TOKEN'), taskToken, [TTL_ATTRIBUTE]: ttl },
      }),
    );
  }

  /** The token the workflow waits with, or null once the approval is settled. */
  async getToken(approvalId: string): Promise<string | null> {
    const parsed = TokenItemSchema.safeParse(await this.#get(approvalKey(approvalId, 'TOKEN')));
    return parsed.success ? parsed.data.taskToken : null;
  }

  /** Forgets the token: nobody can answer the workflow for this approval any more. */
  async deleteToken(approvalId: string): Promise<void> {
    await this.#doc.send(
      new DeleteCommand({ TableName: this.#table, Key: approvalKey(approvalId, 'TOKEN') }),
    );
  }

  async get(approvalId: string): Promise<ApprovalRecord | null> {
    const parsed = RecordItemSchema.safeParse(await this.#get(approvalKey(approvalId, 'RECORD')));
    if (!parsed.success) return null;
    const record = ApprovalRecordSchema.parse(parsed.data.record);
    // Wrong codes and sent requests are kept beside the record (one atomic ADD each), not in it.
    return {
      ...record,
      codeFailures: parsed.data.codeFailures ?? record.codeFailures,
      sentTo: [...(parsed.data.sentTo ?? record.sentTo)].sort(),
      bounced: [...(parsed.data.bounced ?? record.bounced)].sort(),
    };
  }

  /** Records that the request went to `approver`. */
  async markSent(approvalId: string, approver: string): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: approvalKey(approvalId, 'RECORD'),
        UpdateExpression: 'ADD sentTo :who',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':who': new Set([approver.toLowerCase()]) },
      }),
    );
  }

  /** Records that the request to `approver` bounced (SES's feedback): the approver cannot decide. */
  async markBounced(approvalId: string, approver: string): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: approvalKey(approvalId, 'RECORD'),
        UpdateExpression: 'ADD bounced :who',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':who': new Set([approver.toLowerCase()]) },
      }),
    );
  }

  /** The Macie scan's status in one line, for the page, while the approval is pending. */
  async setMacie(approvalId: string, text: string): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: approvalKey(approvalId, 'RECORD'),
          UpdateExpression: 'SET #record.macie = :text',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#record': 'record', '#status': 'status' },
          ExpressionAttributeValues: { ':text': text.slice(0, 1_000), ':pending': 'PENDING' },
        }),
      );
    } catch (error) {
      // Decided meanwhile: its page shows the decision, and the scan is on the incident.
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Stores the hash of the one-time code just sent to `approver` (while the approval is pending). */
  async setCodeHash(approvalId: string, approver: string, hash: string): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: approvalKey(approvalId, 'RECORD'),
        UpdateExpression: 'SET #record.codeHashes.#who = :hash',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: {
          '#record': 'record',
          '#who': approver.toLowerCase(),
          '#status': 'status',
        },
        ExpressionAttributeValues: { ':hash': hash, ':pending': 'PENDING' },
      }),
    );
  }

  /** Counts one one-time code try and returns how many there have been. */
  async recordCodeFailure(approvalId: string): Promise<number> {
    const answer = await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: approvalKey(approvalId, 'RECORD'),
        UpdateExpression: 'ADD codeFailures :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return z.object({ codeFailures: z.number() }).parse(answer.Attributes).codeFailures;
  }

  /**
   * Decides a PENDING approval whose deadline has not passed: one conditional write, so of two
   * decisions at once exactly one wins. Anything else answers 'already' with the record as it is.
   */
  async decide(approvalId: string, decision: ApprovalDecision, now: Date): Promise<DecideOutcome> {
    const current = await this.get(approvalId);
    if (!current) throw new Error(`no approval ${approvalId}`);
    const decided: ApprovalRecord = {
      ...current,
      status: decision.decision,
      decision,
      version: current.version + 1,
    };
    try {
      await this.#settle(decided, current, now);
      return { outcome: 'decided', record: decided };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const latest = await this.get(approvalId);
      if (!latest) throw error;
      // Still pending, but past its deadline: the decision came too late, and the record says so.
      return { outcome: 'already', record: latest };
    }
  }

  /**
   * Ends a PENDING approval as EXPIRED or SUPERSEDED (conditional, like a decision). Returns the
   * record as it ends up: a decision that came first stays.
   */
  async close(
    approvalId: string,
    status: Extract<ApprovalStatus, 'EXPIRED' | 'SUPERSEDED'>,
    supersededBy: string | null = null,
  ): Promise<ApprovalRecord | null> {
    const current = await this.get(approvalId);
    if (current?.status !== 'PENDING') return current;
    const closed: ApprovalRecord = { ...current, status, supersededBy, version: current.version + 1 };
    try {
      await this.#settle(closed, current, null);
      return closed;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.get(approvalId);
    }
  }

  /** Appends one line to the approval's audit trail. */
  async audit(approvalId: string, entry: ApprovalAuditEntry, now: Date): Promise<void> {
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...approvalKey(approvalId, `AUDIT#${entry.at}#${randomUUID().slice(0, 8)}`),
          entry: ApprovalAuditEntrySchema.parse(entry),
          [TTL_ATTRIBUTE]: expiresAfterDays(now, APPROVAL_RETENTION_DAYS),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** The audit trail, oldest first. */
  async listAudit(approvalId: string): Promise<ApprovalAuditEntry[]> {
    const entries: ApprovalAuditEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          ConsistentRead: true,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
          ExpressionAttributeValues: { ':pk': `APPROVAL#${approvalId}`, ':audit': 'AUDIT#' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) entries.push(ApprovalAuditEntrySchema.parse(item.entry));
      start = page.LastEvaluatedKey;
    } while (start);
    return entries;
  }

  /** Writes the settled record over the PENDING one it read (and before its deadline, when `now` is given). */
  async #settle(settled: ApprovalRecord, read: ApprovalRecord, now: Date | null): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: approvalKey(settled.approvalId, 'RECORD'),
        UpdateExpression: 'SET #record = :record, #status = :status, version = :next',
        ConditionExpression: `#status = :pending AND version = :read${now ? ' AND deadline > :now' : ''}`,
        ExpressionAttributeNames: { '#record': 'record', '#status': 'status' },
        ExpressionAttributeValues: {
          ':record': ApprovalRecordSchema.parse(settled),
          ':status': settled.status,
          ':next': settled.version,
          ':pending': 'PENDING',
          ':read': read.version,
          ...(now ? { ':now': now.toISOString() } : {}),
        },
      }),
    );
  }

  #recordAttributes(record: ApprovalRecord) {
    return {
      record: ApprovalRecordSchema.parse(record),
      status: record.status,
      version: record.version,
      // ISO text in UTC compares in time order.
      deadline: new Date(record.expiresAt).toISOString(),
    };
  }

  async #get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const answer = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    return answer.Item;
  }
}
