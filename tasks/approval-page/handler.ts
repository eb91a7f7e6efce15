/**
 * The approval endpoint in AWS: a Lambda function URL. Adapts the function URL event to the
 * page's request shape and back; everything else is the handler the local server uses too.
 * Environment: TABLE_NAME, APPROVAL_BASE_URL (this function's URL), APPROVAL_KEYS_SECRET.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { z } from 'zod';
import { loadKeyRing } from '../shared/approval/links.js';
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

let deps: Promise<ApprovalPageDeps> | undefined;

async function pageDeps(): Promise<ApprovalPageDeps> {
  const env = parseOrThrow(EnvironmentSchema, process.env, 'function environment');
  const keyRing = await loadKeyRing({ env: process.env });
  return approvalPageDeps({
    approvals: new ApprovalStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME }),
    sfn: new SFNClient({}),
    keyRing,
    clock: systemClock,
    origin: new URL(env.APPROVAL_BASE_URL).origin,
    csrfSecret: csrfSecretOf(keyRing),
  });
}

/** The Lambda entry point of the approval endpoint. */
export async function handler(
  event: LambdaFunctionURLEvent,
): Promise<Exclude<LambdaFunctionURLResult, string> & { statusCode: number }> {
  let answer = serverErrorResponse();
  try {
    deps ??= pageDeps();
    answer = await handleApprovalRequest(toPageRequest(event), await deps);
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
