/**
 * S3 Control's account-level Block Public Access. The account is named in every request, and
 * S3 Control refuses a request for an account other than the caller's.
 */

import type {
  DeletePublicAccessBlockCommandInput,
  GetPublicAccessBlockCommandInput,
  GetPublicAccessBlockCommandOutput,
  PutPublicAccessBlockCommandInput,
} from '@aws-sdk/client-s3-control';
import { PublicAccessBlockSchema } from '../../tasks/shared/contracts.js';
import { AwsApiError } from './aws-error.js';
import { type Answer, type OperationContext, type OperationTable, operation } from './operations.js';

type Empty = Record<string, never>;

function requireOwnAccount(ctx: OperationContext, accountId: string | undefined): void {
  if (accountId !== ctx.world.accountId) throw new AwsApiError('AccessDenied', 'Access Denied');
}

const getPublicAccessBlock = operation(
  (input: GetPublicAccessBlockCommandInput, ctx): Answer<GetPublicAccessBlockCommandOutput> => {
    requireOwnAccount(ctx, input.AccountId);
    const config = ctx.world.accountPublicAccessBlock;
    if (config === null) {
      throw new AwsApiError(
        'NoSuchPublicAccessBlockConfiguration',
        'The public access block configuration was not found',
      );
    }
    return { PublicAccessBlockConfiguration: { ...config } };
  },
);

const putPublicAccessBlock = operation((input: PutPublicAccessBlockCommandInput, ctx): Empty => {
  requireOwnAccount(ctx, input.AccountId);
  const config = input.PublicAccessBlockConfiguration;
  if (config === undefined) throw new AwsApiError('MalformedXML', 'The XML you provided was not well-formed');
  // As for buckets, the call replaces the whole configuration: a flag left out is off.
  ctx.world.accountPublicAccessBlock = PublicAccessBlockSchema.parse(config);
  return {};
});

const deletePublicAccessBlock = operation((input: DeletePublicAccessBlockCommandInput, ctx): Empty => {
  requireOwnAccount(ctx, input.AccountId);
  ctx.world.accountPublicAccessBlock = null;
  return {};
});

/** S3 Control operations by command name. */
export const S3_CONTROL_OPERATIONS: OperationTable = {
  GetPublicAccessBlock: getPublicAccessBlock,
  PutPublicAccessBlock: putPublicAccessBlock,
  DeletePublicAccessBlock: deletePublicAccessBlock,
};
