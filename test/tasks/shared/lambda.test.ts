import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { generateKeyRing, serializeKeyRing } from '../../../tasks/shared/approval/links.js';
import { createLambdaRuntime, depsFor, functionIdentity } from '../../../tasks/shared/lambda.js';

const CONFIG = { recipients: { email: ['soc@example.com'] } };
const BASE = { TABLE_NAME: 's3-exposure-incidents' };

describe('createLambdaRuntime', () => {
  it('reads the configuration from RESPONDER_CONFIG', async () => {
    const runtime = await createLambdaRuntime({ ...BASE, RESPONDER_CONFIG: JSON.stringify(CONFIG) });

    expect(runtime.config.recipients.email).toEqual(['soc@example.com']);
    expect(runtime.store.tableName).toBe('s3-exposure-incidents');
  });

  it('reads the configuration from the SSM parameter, decrypted', async () => {
    const ssm = new SSMClient({ region: 'us-east-1' });
    const stub = mockClient(ssm);
    stub.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(CONFIG) } });

    const runtime = await createLambdaRuntime(
      { ...BASE, RESPONDER_CONFIG_PARAMETER: '/s3-exposure/config' },
      { ssm: () => ssm },
    );

    expect(runtime.config.recipients.email).toEqual(['soc@example.com']);
    expect(stub.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/s3-exposure/config',
      WithDecryption: true,
    });
  });

  it('refuses a bad configuration, naming the field', async () => {
    const bad = createLambdaRuntime({
      ...BASE,
      RESPONDER_CONFIG: JSON.stringify({ recipients: { email: [] } }),
    });

    await expect(bad).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: 'configuration: recipients.email: at least one recipient',
    });
  });

  it('refuses a configuration that is not JSON, naming where it came from', async () => {
    await expect(createLambdaRuntime({ ...BASE, RESPONDER_CONFIG: '{ nope' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: 'configuration (RESPONDER_CONFIG) is not JSON',
    });
  });

  it('refuses an environment without a table, naming the variable', async () => {
    await expect(createLambdaRuntime({ RESPONDER_CONFIG: JSON.stringify(CONFIG) })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(/^function environment: TABLE_NAME: /),
    });
  });

  it('refuses both a configuration and a parameter: one source only', async () => {
    const both = createLambdaRuntime({
      ...BASE,
      RESPONDER_CONFIG: JSON.stringify(CONFIG),
      RESPONDER_CONFIG_PARAMETER: '/s3-exposure/config',
    });

    await expect(both).rejects.toMatchObject({ message: expect.stringContaining('exactly one of') });
  });

  it('adds the stack’s own roles (OWN_ROLE_ARNS) to those the configuration names, each once', async () => {
    const remediation = 'arn:aws:iam::111122223333:role/Responder-RemediateExposureRole';
    const runtime = await createLambdaRuntime({
      ...BASE,
      RESPONDER_CONFIG: JSON.stringify({
        ...CONFIG,
        ownRoleArns: ['arn:aws:iam::111122223333:role/pipeline'],
      }),
      OWN_ROLE_ARNS: `${remediation},${remediation}`,
    });

    expect(runtime.config.ownRoleArns).toEqual(['arn:aws:iam::111122223333:role/pipeline', remediation]);
  });

  it('puts the stack’s evidence bucket into the configuration when the configuration names none', async () => {
    const runtime = await createLambdaRuntime({
      ...BASE,
      RESPONDER_CONFIG: JSON.stringify(CONFIG),
      EVIDENCE_BUCKET: 'evidence-111122223333',
    });

    expect(runtime.config.remediation.evidenceBucket).toBe('evidence-111122223333');
  });

  it('makes the clients of a Region once, and keeps them', async () => {
    const runtime = await createLambdaRuntime({ ...BASE, RESPONDER_CONFIG: JSON.stringify(CONFIG) });

    expect(runtime.clientsFor('eu-west-1')).toBe(runtime.clientsFor('eu-west-1'));
    expect(runtime.clientsFor('eu-west-1')).not.toBe(runtime.clientsFor('us-east-1'));
  });
});

describe('functionIdentity and depsFor', () => {
  it('take account, partition and Region from the function ARN', async () => {
    const runtime = await createLambdaRuntime({ ...BASE, RESPONDER_CONFIG: JSON.stringify(CONFIG) });

    const deps = await depsFor(runtime, {
      invokedFunctionArn: 'arn:aws-cn:lambda:cn-north-1:111122223333:function:f',
      getRemainingTimeInMillis: () => 60_000,
    });

    expect([deps.partition, deps.region, deps.accountId]).toEqual(['aws-cn', 'cn-north-1', '111122223333']);
    expect(deps.clients).toBe(runtime.clientsFor('cn-north-1'));
  });

  it('refuse an ARN that names no account', () => {
    expect(() => functionIdentity('arn:aws:lambda:us-east-1::function:f')).toThrow(/names no account/);
  });
});

describe('approval keys and chat in the runtime', () => {
  const CONTEXT = {
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:f',
    getRemainingTimeInMillis: () => 60_000,
  };

  it('reads the key ring for every invocation, so a rotated key lands without a cold start', async () => {
    const env: NodeJS.ProcessEnv = {
      ...BASE,
      RESPONDER_CONFIG: JSON.stringify(CONFIG),
      APPROVAL_BASE_URL: 'https://approve.example',
      APPROVAL_KEYS: serializeKeyRing(generateKeyRing('k1')),
    };
    const runtime = await createLambdaRuntime(env);
    expect((await depsFor(runtime, CONTEXT)).approvalLinks?.keyRing.current.id).toBe('k1');

    env.APPROVAL_KEYS = serializeKeyRing(generateKeyRing('k2'));
    expect((await depsFor(runtime, CONTEXT)).approvalLinks?.keyRing.current.id).toBe('k2');
  });

  it('refuses to start without a readable key ring where links are made', async () => {
    await expect(
      createLambdaRuntime({
        ...BASE,
        RESPONDER_CONFIG: JSON.stringify(CONFIG),
        APPROVAL_BASE_URL: 'https://a.example',
      }),
    ).rejects.toThrow(/no approval link keys/);
  });

  it('posts to chat only where CHAT_WEBHOOKS_SECRET is set', async () => {
    const without = await createLambdaRuntime({ ...BASE, RESPONDER_CONFIG: JSON.stringify(CONFIG) });
    expect((await depsFor(without, CONTEXT)).chat).toBeUndefined();
    const withChat = await createLambdaRuntime({
      ...BASE,
      RESPONDER_CONFIG: JSON.stringify(CONFIG),
      CHAT_WEBHOOKS_SECRET: 's3-exposure/chat-webhooks',
    });
    expect((await depsFor(withChat, CONTEXT)).chat).toBeDefined();
  });
});
