/**
 * The approval page on 127.0.0.1: a real HTTP server that hands each request to the same handler
 * the deployed endpoint uses (tasks/approval-page), in the same shape. Bound to the loopback
 * interface only; the port is chosen by the system unless given.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApprovalPageDeps } from '../../tasks/approval-page/page.js';
import {
  handleApprovalRequest,
  MAX_BODY_BYTES,
  type PageRequest,
  serverErrorResponse,
} from '../../tasks/approval-page/page.js';
import { asFunction } from '../call-ledger.js';

export interface ApprovalServer {
  /** http://127.0.0.1:<port>: the origin the page checks POSTs against, and the links' base. */
  readonly origin: string;
  close(): Promise<void>;
}

/** Reads at most one byte more than the page accepts, so an oversized body is refused, not buffered. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  if (request.method === 'GET' || request.method === 'HEAD') return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.from(chunk as Buffer);
    size += buffer.length;
    if (size > MAX_BODY_BYTES + 1) break;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toPageRequest(request: IncomingMessage, body: string | null): PageRequest {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: request.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
    sourceIp: request.socket.remoteAddress ?? null,
  };
}

/** Starts the server; `deps` receives the server's origin once it listens. */
export async function startApprovalServer(
  depsFor: (origin: string) => ApprovalPageDeps,
  options: { readonly port?: number } = {},
): Promise<ApprovalServer> {
  let deps: ApprovalPageDeps | null = null;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      let answer = serverErrorResponse();
      try {
        const pageDeps = deps;
        const pageRequest = toPageRequest(request, await readBody(request));
        if (pageDeps)
          answer = await asFunction('ApprovalPage', () => handleApprovalRequest(pageRequest, pageDeps));
      } catch {
        // The page says "something went wrong"; the handler audited what it could.
      }
      response.writeHead(answer.status, {
        ...answer.headers,
        ...(answer.cookies.length ? { 'set-cookie': answer.cookies } : {}),
      });
      response.end(request.method === 'HEAD' ? undefined : answer.body);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  deps = depsFor(origin);
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
