/**
 * The approval endpoint in AWS: a Lambda function URL. Adapts the function URL event to the
 * page's request shape and back; everything else is the handler the local server uses too.
 * Environment: TABLE_NAME, APPROVAL_BASE_URL (this function's URL), APPROVAL_KEYS_SECRET.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { z } from 'zod';
import {
  keyIdOfSignature,
  keyOfRing,
  loadKeyRing,
  secretsManagerKeyReader,
} from '../shared/approval/links.js';
import { systemClock } from '../shared/clock.js';
import { logger } from '../shared/logger.js';
import { ApprovalStore } from '../shared/store/approval-store.js';
import { parseOrThrow } from '../shared/validation.js';
import { approvalPageDeps, csrfSecretOf } from './deps.js';
import {
  type ApprovalPageDeps,
  handleApprovalRequest,
  type PageRequest,
  serverErrorResponse,
} from './page.js';

const EnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(3),
  APPROVAL_BASE_URL: z.url({ protocol: /^https?$/ }),
});

/** The function URL event as the page's request: lowercase headers, cookies joined, body decoded. */
export function toPageRequest(event: LambdaFunctionURLEvent): PageRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  const body =
    event.body === undefined
      ? null
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '')),
    headers,
    body,
    sourceIp: event.requestContext.http.sourceIp ?? null,
  };
}

let clients: { approvals: ApprovalStore; sfn: SFNClient } | undefined;

/**
 * The page's dependencies for one request. The key ring is read for every request (Secrets
 * Manager answers from a five-minute cache, so a rotated key lands without a cold start), and
 * read again past the cache when the link names a key the cached ring lacks: a link signed
 * with a key rotated in moments ago must not be refused for up to five minutes.
 */
async function pageDeps(request: PageRequest): Promise<ApprovalPageDeps> {
  const env = parseOrThrow(EnvironmentSchema, process.env, 'function environment');
  clients ??= {
    approvals: new ApprovalStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME }),
    sfn: new SFNClient({}),
  };
  const linkKeyId = keyIdOfSignature(request.query.sig);
  let keyRing = await loadKeyRing({ env: process.env });
  if (linkKeyId !== undefined && !keyOfRing(keyRing, linkKeyId)) {
    keyRing = await loadKeyRing({
      env: process.env,
      getSecret: secretsManagerKeyReader({ forceFetch: true }),
    });
  }
  return approvalPageDeps({
    ...clients,
    keyRing,
    clock: systemClock,
    origin: new URL(env.APPROVAL_BASE_URL).origin,
    csrfSecret: csrfSecretOf(keyRing, linkKeyId),
  });
}

/** The Lambda entry point of the approval endpoint. */
export async function handler(
  event: LambdaFunctionURLEvent,
): Promise<Exclude<LambdaFunctionURLResult, string> & { statusCode: number }> {
  let answer = serverErrorResponse();
  try {
    const request = toPageRequest(event);
    answer = await handleApprovalRequest(request, await pageDeps(request));
  } catch (error) {
    // Never the request itself: its query holds the signature.
    logger.error('approval page failed', { error: error instanceof Error ? error.name : 'unknown' });
  }
  return {
    statusCode: answer.status,
    headers: answer.headers,
    cookies: answer.cookies,
    body: event.requestContext.http.method === 'HEAD' ? '' : answer.body,
  };
}
