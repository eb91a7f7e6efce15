/**
 * Faults for the incident store: the world file's `faults` with `service: "dynamodb"` are thrown
 * by the local DynamoDB client as DynamoDB's own exceptions, inside the SDK's retry loop, so the
 * store, the SDK's retries and the state machine meet them as they would in AWS.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import type { DeserializeMiddleware, MetadataBearer } from '@smithy/types';
import { httpStatusOf } from '../sandbox/aws-error.js';
import { takeFault } from '../sandbox/faults.js';
import type { World } from '../sandbox/world.js';

function exceptionFor(code: string, message: string): Error {
  const $metadata = { httpStatusCode: httpStatusOf(code) };
  if (code === 'ConditionalCheckFailedException')
    return new ConditionalCheckFailedException({ message, $metadata });
  if (code === 'ProvisionedThroughputExceededException') {
    return new ProvisionedThroughputExceededException({ message, $metadata });
  }
  const status = $metadata.httpStatusCode;
  return new DynamoDBServiceException({
    name: code,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata,
  });
}

/** Makes `client` throw the world's `dynamodb` faults (the world is read at each call). */
export function injectStoreFaults(client: DynamoDBClient, world: () => World): void {
  const faults: DeserializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const operation = (context.commandName ?? '').replace(/Command$/, '');
    const fault = takeFault(world(), 'dynamodb', operation, args.input);
    if (fault?.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    if (fault?.error) throw exceptionFor(fault.error, fault.message ?? `injected ${fault.error}`);
    return next(args);
  };
  client.middlewareStack.add(faults, { step: 'deserialize', priority: 'high', name: 'storeFaults' });
}
