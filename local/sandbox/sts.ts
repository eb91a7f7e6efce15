/** STS GetCallerIdentity: the sandbox caller is one role in the world's account. */
import type { GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import { type Answer, type OperationContext, type OperationTable, operation } from './operations.js';

/** The role every sandbox client acts as. */
export const SANDBOX_ROLE = 'sandbox';

const getCallerIdentity = operation(
  (_input: unknown, ctx: OperationContext): Answer<GetCallerIdentityCommandOutput> => ({
    Account: ctx.world.accountId,
    Arn: `arn:aws:iam::${ctx.world.accountId}:role/${SANDBOX_ROLE}`,
    UserId: `AROASANDBOX${ctx.world.accountId}`,
  }),
);

/** STS operations by command name. */
export const STS_OPERATIONS: OperationTable = { GetCallerIdentity: getCallerIdentity };
