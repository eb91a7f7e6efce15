import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler, toPageRequest } from '../../../tasks/approval-page/handler.js';

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
