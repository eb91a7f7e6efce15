/**
 * The approval key ring's rotation function, invoked by Secrets Manager once per rotation step
 * (see rotation.ts). No state machine calls it, so it is no `defineTask`. It answers nothing:
 * a step that returns succeeded, a step that throws is retried or fails the rotation.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SecretsManagerRotationEvent } from 'aws-lambda';
import { logger } from '../shared/logger.js';
import { rotateKeyRing } from './rotation.js';

/** One client per container; the Region comes from the function's environment. */
const client = new SecretsManagerClient({});

/** The Lambda entry point. */
export async function handler(event: SecretsManagerRotationEvent, context: Context): Promise<void> {
  logger.addContext(context);
  const outcome = await rotateKeyRing(event, client);
  logger.info('key ring rotation step done', { step: event.Step, outcome });
}
