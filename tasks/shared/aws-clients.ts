import { Macie2Client } from '@aws-sdk/client-macie2';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, Provider, RetryStrategyV2 } from '@smithy/types';

/**
 * Every AWS client a task may use. Built in one place and passed in, so tests can hand in
 * `aws-sdk-client-mock` clients and the local runner sandbox-backed ones.
 */
export interface AwsClients {
  readonly s3: S3Client;
  readonly s3Control: S3ControlClient;
  readonly securityHub: SecurityHubClient;
  readonly ses: SESv2Client;
  readonly sfn: SFNClient;
  /** Macie (macie2): the sensitive data scan of what an exposure made public. */
  readonly macie: Macie2Client;
}

/** Settings shared by every client; the sandbox and tests use them to plug in and speed up. */
export interface ClientOptions {
  readonly region?: string;
  readonly credentials?: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  readonly maxAttempts?: number;
  readonly retryStrategy?: RetryStrategyV2;
}

/** The account the credentials belong to (STS GetCallerIdentity): the expected owner of its buckets. */
export async function callerAccount(options: ClientOptions = {}): Promise<string> {
  const answer = await new STSClient({ ...options }).send(new GetCallerIdentityCommand({}));
  if (!answer.Account) throw new Error('STS did not name the caller account');
  return answer.Account;
}

/** Builds the default clients, using the SDK's default credential chain unless told otherwise. */
export function createAwsClients(options: ClientOptions = {}): AwsClients {
  return {
    s3: new S3Client({ ...options }),
    s3Control: new S3ControlClient({ ...options }),
    securityHub: new SecurityHubClient({ ...options }),
    ses: new SESv2Client({ ...options }),
    sfn: new SFNClient({ ...options }),
    macie: new Macie2Client({ ...options }),
  };
}
