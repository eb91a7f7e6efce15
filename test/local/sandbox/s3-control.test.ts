import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  NoSuchPublicAccessBlockConfiguration,
  PutPublicAccessBlockCommand,
  S3ControlServiceException,
} from '@aws-sdk/client-s3-control';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, OTHER_ACCOUNT, rejection, testSandbox } from './support.js';

function setup() {
  const sandbox = testSandbox();
  return { sandbox, s3Control: sandbox.clients().s3Control };
}

describe('S3 Control account Block Public Access, through the real S3ControlClient', () => {
  it('answers NoSuchPublicAccessBlockConfiguration (404) when the account has none', async () => {
    const { s3Control } = setup();
    const error = await rejection(s3Control.send(new GetPublicAccessBlockCommand({ AccountId: ACCOUNT })));
    expect(error).toBeInstanceOf(NoSuchPublicAccessBlockConfiguration);
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  it('stores the configuration with flags left out as off, and reads it back', async () => {
    const { s3Control, sandbox } = setup();
    await s3Control.send(
      new PutPublicAccessBlockCommand({
        AccountId: ACCOUNT,
        PublicAccessBlockConfiguration: { BlockPublicPolicy: true, RestrictPublicBuckets: true },
      }),
    );
    const out = await s3Control.send(new GetPublicAccessBlockCommand({ AccountId: ACCOUNT }));
    expect(out.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(sandbox.world.accountPublicAccessBlock?.BlockPublicPolicy).toBe(true);
  });

  it('deletes the configuration', async () => {
    const { s3Control, sandbox } = setup();
    sandbox.world.accountPublicAccessBlock = {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    };
    await s3Control.send(new DeletePublicAccessBlockCommand({ AccountId: ACCOUNT }));
    expect(sandbox.world.accountPublicAccessBlock).toBeNull();
  });

  it('answers AccessDenied (403) for another account', async () => {
    const { s3Control } = setup();
    const error = await rejection(
      s3Control.send(new GetPublicAccessBlockCommand({ AccountId: OTHER_ACCOUNT })),
    );
    expect(error).toBeInstanceOf(S3ControlServiceException);
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });
});
