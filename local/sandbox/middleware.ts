/**
 * Plugs the sandbox into a real SDK v3 client. The middleware answers at the `deserialize`
 * step with high priority: after the SDK's retry middleware (finalizeRequest) and signing, so
 * the SDK's own retries apply to injected throttling, and before any HTTP request is sent.
 * (Answering at `initialize` would skip retries: DESIGN.md section 8.)
 */
import { randomUUID } from 'node:crypto';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';

/** Answers one command: the operation name (command name without "Command") and its input. */
export type Responder = (operation: string, input: unknown, requestId: string) => Promise<object>;

/** The middleware's name in the client's stack. */
export const SANDBOX_MIDDLEWARE_NAME = 'sandboxAccountMiddleware';

/** Adds the sandbox middleware to a client's stack. */
export function attachSandbox<Input extends object, Output extends MetadataBearer>(
  stack: MiddlewareStack<Input, Output>,
  respond: Responder,
): void {
  stack.add(
    (_next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const requestId = randomUUID();
      const answer = await respond(operation, args.input, requestId);
      // The operation table answers each command with that command's output shape.
      const output = { ...answer, $metadata: { httpStatusCode: 200, requestId } } as Output;
      return { output, response: { statusCode: 200, headers: { 'x-amz-request-id': requestId } } };
    },
    {
      step: 'deserialize',
      priority: 'high',
      name: SANDBOX_MIDDLEWARE_NAME,
      tags: ['SANDBOX'],
      override: true,
    },
  );
}
