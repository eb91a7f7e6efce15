import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureTable } from '../../../local/store/local-dynamo.js';
import { handler, toPageRequest } from '../../../tasks/approval-page/handler.js';
import {
  generateKeyRing,
  type KeyRing,
  serializeKeyRing,
  signApprovalLink,
} from '../../../tasks/shared/approval/links.js';
import { testDynamo } from '../../support/store.js';

function urlEvent(overrides: Partial<LambdaFunctionURLEvent> = {}): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/a/0123456789abcdef0123456789abcdef',
    rawQueryString: 'r=approver%40example.com&exp=1900000000&sig=v1.k1.abc',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://page.example' },
    cookies: ['csrf=one', 'other=two'],
    isBase64Encoded: false,
    requestContext: {
      accountId: '111122223333',
      apiId: 'api',
      domainName: 'page.example',
      domainPrefix: 'page',
      requestId: 'req',
      routeKey: '$default',
      stage: '$default',
      time: '29/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
      http: {
        method: 'POST',
        path: '/a/x',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'test',
      },
    },
    ...overrides,
  };
}

describe('the approval endpoint as a Lambda function URL', () => {
  it('hands the page the request as the local server does: lowercase headers, cookies joined, query decoded', () => {
    const request = toPageRequest(
      urlEvent({ body: Buffer.from('decision=APPROVED').toString('base64'), isBase64Encoded: true }),
    );

    expect(request).toEqual({
      method: 'POST',
      path: '/a/0123456789abcdef0123456789abcdef',
      query: { r: 'approver@example.com', exp: '1900000000', sig: 'v1.k1.abc' },
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://page.example',
        cookie: 'csrf=one; other=two',
      },
      body: 'decision=APPROVED',
      sourceIp: '203.0.113.9',
    });
  });

  it('answers a deployment without its settings with the page error, never the request', async () => {
    const answer = await handler(urlEvent({ body: 'decision=APPROVED' }));

    expect(answer.statusCode).toBe(500);
    expect(answer.headers?.['Cache-Control']).toBe('no-store');
    expect(JSON.stringify(answer)).not.toContain('v1.k1.abc');
  });
});

describe('the key ring after a rotation', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** The page's GET of a link to an approval nobody stored: 404 once the link verifies. */
  function getLink(link: string): Promise<{ statusCode: number }> {
    const url = new URL(link);
    return handler(
      urlEvent({
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers: {},
        cookies: [],
        requestContext: {
          ...urlEvent().requestContext,
          http: { ...urlEvent().requestContext.http, method: 'GET', path: url.pathname },
        },
      }),
    );
  }

  function linkSignedWith(ring: KeyRing): string {
    return signApprovalLink(
      'https://page.example',
      {
        approvalId: 'fedcba9876543210fedcba9876543210',
        recipient: 'approver@example.com',
        expiresAt: new Date(Date.now() + 3_600_000),
      },
      ring,
    );
  }

  it('reads past the cache when a link names a key the cached ring lacks, so a fresh key is not refused', async () => {
    const { endpoint, client } = await testDynamo();
    const table = `page-${Math.random().toString(36).slice(2)}`;
    await ensureTable(client, table);
    Object.assign(process.env, {
      TABLE_NAME: table,
      APPROVAL_BASE_URL: 'https://page.example',
      APPROVAL_KEYS_SECRET: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:keys-AbCdEf',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    });
    const before = generateKeyRing('k-before');
    const after: KeyRing = { current: generateKeyRing('k-after').current, previous: [before.current] };
    const secrets = mockClient(SecretsManagerClient);
    try {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: serializeKeyRing(before) });
      expect((await getLink(linkSignedWith(before))).statusCode).toBe(404);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);

      // Rotated: the signer already has the new ring, this instance's cache the old one.
      secrets.on(GetSecretValueCommand).resolves({ SecretString: serializeKeyRing(after) });
      expect((await getLink(linkSignedWith(after))).statusCode).toBe(404);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      // A link of a key the ring still holds is answered from the cache.
      expect((await getLink(linkSignedWith(before))).statusCode).toBe(404);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    } finally {
      secrets.restore();
    }
  });
});
