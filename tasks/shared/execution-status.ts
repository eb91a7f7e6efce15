/** Whether a Step Functions execution still runs: the question a lease past its expiry asks. */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { errorName } from './aws-errors.js';

/**
 * Whether the execution still runs. One Step Functions does not know (ExecutionDoesNotExist)
 * has ended; any other error (throttling, AccessDenied) is thrown, so the caller's retries and
 * failure path answer it rather than a guess.
 */
export async function isExecutionRunning(sfn: SFNClient, executionArn: string): Promise<boolean> {
  try {
    const answer = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return answer.status === 'RUNNING';
  } catch (error) {
    if (errorName(error) === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}
