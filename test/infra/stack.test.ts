import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { POWERTOOLS_SERVICE_NAME } from '../../infra/constructs/responder-function.js';
import { SERVICE_FUNCTIONS, TASK_FUNCTIONS } from '../../infra/functions.js';
import { actionsFor, type SdkCall } from '../../infra/iam-actions.js';
import { DEFAULT_STATE_MACHINE_NAME } from '../../infra/stack.js';
import { defaultConfig } from '../../local/defaults.js';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../tasks/shared/store/table.js';
import {
  actionsOf,
  bucketPoliciesOf,
  LOCKED_DOWN_BUCKET_PROPERTIES,
  listOf,
  ofType,
  type Resources,
  referencedId,
  type Synthesized,
  statementsOf,
  statementsOfRole,
  synthesize,
  variablesOf,
} from './support.js';

let synth: Synthesized;
let resources: Resources;

beforeAll(() => {
  synth = synthesize();
  resources = synth.resources;
});

function logicalIdOf(construct: IConstruct): string {
  return synth.idOf(construct);
}

/** Our functions: every one carries the Powertools service name. */
function responderFunctions(): Resources {
  return Object.fromEntries(
    Object.entries(ofType(resources, 'AWS::Lambda::Function')).filter(([, fn]) => {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      return variables?.POWERTOOLS_SERVICE_NAME === POWERTOOLS_SERVICE_NAME;
    }),
  );
}

function environmentOf(name: string): Record<string, unknown> {
  const fn = synth.stack.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return variablesOf(resources[logicalIdOf(fn.function)]);
}

function roleActionsOf(name: string): string[] {
  const fn = synth.stack.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  const statements = statementsOfRole(resources, logicalIdOf(fn.role));
  return [...new Set(statements.flatMap(actionsOf))].sort();
}

describe('the incident table', () => {
  it('is keyed and expires as the store names it, on demand, kept when the stack goes', () => {
    synth.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: SORT_KEY, KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      }),
    });
  });

  it('has point-in-time recovery, KMS encryption and deletion protection', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });
});

describe('the evidence bucket', () => {
  const evidenceId = () => logicalIdOf(synth.stack.evidence.bucket);

  it('blocks all public access, is versioned and encrypted, and is kept when the stack goes', () => {
    const bucket = resources[evidenceId()];
    expect(bucket).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: LOCKED_DOWN_BUCKET_PROPERTIES,
    });
  });

  it('refuses every request without TLS', () => {
    const policies = Object.values(bucketPoliciesOf(resources, evidenceId()));
    expect(policies).toHaveLength(1);
    const statements = statementsOf(policies[0]?.Properties?.PolicyDocument);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('logs its server access to a log bucket that is as locked down', () => {
    const logsId = logicalIdOf(synth.stack.evidence.accessLogs);
    expect(resources[evidenceId()]?.Properties?.LoggingConfiguration).toMatchObject({
      DestinationBucketName: { Ref: logsId },
    });
    expect(resources[logsId]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      },
    });
  });
});

describe('the evidence bucket with Object Lock (evidenceObjectLockDays)', () => {
  it('has none by default', () => {
    const bucket = resources[logicalIdOf(synth.stack.evidence.bucket)];
    expect(bucket?.Properties?.ObjectLockEnabled).toBeUndefined();
    expect(bucket?.Properties?.ObjectLockConfiguration).toBeUndefined();
    expect(synth.stack.evidence.objectLockDays).toBeUndefined();
  });

  it('locks every new backup version in governance mode for that many days, and only the evidence bucket', () => {
    const locked = synthesize({ evidenceObjectLockDays: 30 });
    const bucket = locked.resources[locked.idOf(locked.stack.evidence.bucket)];
    expect(bucket).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
      },
    });
    // S3 refuses an Object Lock bucket as a server access log destination.
    const logs = locked.resources[locked.idOf(locked.stack.evidence.accessLogs)];
    expect(logs?.Properties?.ObjectLockEnabled).toBeUndefined();
  });

  it.each([0, -5, 1.5, Number.NaN, 36_501])('refuses %s days with a clear message', (days) => {
    expect(() => synthesize({ evidenceObjectLockDays: days })).toThrow(
      `evidenceObjectLockDays must be a whole number of days from 1 to 36500, not ${String(days)}`,
    );
  });

  it('takes the longest retention S3 allows', () => {
    const locked = synthesize({ evidenceObjectLockDays: 36_500 });
    expect(locked.stack.evidence.objectLockDays).toBe(36_500);
  });
});

describe('the state machine', () => {
  it('is Standard, traced with X-Ray, and named as the functions were told', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      StateMachineName: DEFAULT_STATE_MACHINE_NAME,
      TracingConfiguration: { Enabled: true },
    });
  });

  it('logs errors only and never execution data (task tokens), to a KMS-encrypted log group', () => {
    const logGroupId = logicalIdOf(synth.stack.workflow.logGroup);
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ERROR',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
      },
    });
    expect(resources[logGroupId]?.Properties?.KmsKeyId).toBeDefined();
  });

  it('may invoke exactly the functions of its Task states, unqualified', () => {
    const roleId = logicalIdOf(synth.stack.workflow.stateMachine.role);
    const invoke = statementsOfRole(resources, roleId).filter((s) =>
      actionsOf(s).includes('lambda:InvokeFunction'),
    );
    expect(invoke).toHaveLength(1);
    const invoked = listOf(invoke[0]?.Resource).map(referencedId).sort();
    const expected = Object.keys(TASK_FUNCTIONS)
      .map((state) => {
        const fn = synth.stack.functions.get(state);
        if (!fn) throw new Error(`no function for ${state}`);
        return logicalIdOf(fn.function);
      })
      .sort();
    expect(invoked).toEqual(expected);
  });
});

describe('the functions', () => {
  it('are one per Task state plus the approval page, the sweep, the email feedback and the key rotation', () => {
    expect([...synth.stack.functions.keys()].sort()).toEqual(
      [...Object.keys(TASK_FUNCTIONS), ...Object.keys(SERVICE_FUNCTIONS), 'RotateApprovalKeys'].sort(),
    );
    expect(Object.keys(responderFunctions())).toHaveLength(synth.stack.functions.size);
  });

  it('all run Node 22 on arm64', () => {
    for (const [id, fn] of Object.entries(responderFunctions())) {
      expect({ id, runtime: fn.Properties?.Runtime, arch: fn.Properties?.Architectures }).toEqual({
        id,
        runtime: 'nodejs22.x',
        arch: ['arm64'],
      });
    }
  });

  it('each log to a log group of its own, with retention and KMS encryption', () => {
    const groups = Object.values(responderFunctions()).map((fn) =>
      referencedId((fn.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup),
    );
    expect(new Set(groups).size).toBe(groups.length);
    for (const id of groups) {
      expect(id).toBeDefined();
      const group = resources[id ?? '']?.Properties;
      expect(group?.RetentionInDays, id).toBeGreaterThan(0);
      expect(group?.KmsKeyId, id).toBeDefined();
    }
  });

  it('sets retention on every log group of the stack', () => {
    for (const [id, group] of Object.entries(ofType(resources, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties?.RetentionInDays, id).toBeGreaterThan(0);
    }
  });

  it('leaves only the custom resource that sets the page URL as a function of CDK own', () => {
    const others = Object.keys(ofType(resources, 'AWS::Lambda::Function')).filter(
      (id) => !(id in responderFunctions()),
    );
    const providers = Object.values(ofType(resources, 'Custom::AWS')).map((custom) =>
      referencedId(custom.Properties?.ServiceToken),
    );
    expect(others).toEqual(providers);
    expect(others).toHaveLength(1);
  });

  it.each(Object.entries(TASK_FUNCTIONS))(
    '%s: its role holds exactly the actions of its calls',
    (state, spec) => {
      const secret: SdkCall[] =
        spec.signsLinks || (spec.postsToChat && synth.stack.secrets.chatWebhooks)
          ? ['secretsmanager:GetSecretValue']
          : [];
      expect(roleActionsOf(state)).toEqual(
        [...actionsFor([...spec.calls, ...secret]), 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
      );
    },
  );

  it('gives the approval page only the approval store, the decision, and the key ring', () => {
    expect(roleActionsOf('ApprovalPage')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'states:SendTaskSuccess',
    ]);
    const page = synth.stack.functions.get('ApprovalPage');
    if (!page) throw new Error('no approval page');
    const send = statementsOfRole(resources, logicalIdOf(page.role)).find((s) =>
      actionsOf(s).includes('states:SendTaskSuccess'),
    );
    expect(JSON.stringify(send?.Resource)).toContain(`:stateMachine:${DEFAULT_STATE_MACHINE_NAME}`);
  });

  it('serves the approval page from a function URL without IAM auth (the page checks signatures)', () => {
    const page = synth.stack.functions.get('ApprovalPage');
    if (!page) throw new Error('no approval page');
    synth.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalIdOf(page.function), 'Arn'] },
    });
  });

  it('tells STATE_MACHINE_ARN exactly to the functions that start executions', () => {
    const starters = [...synth.stack.functions.keys()].filter(
      (name) => environmentOf(name).STATE_MACHINE_ARN !== undefined,
    );
    expect(starters.sort()).toEqual(['ClassifyExposure', 'FanOutAccountChange', 'NotifyRecipients', 'Sweep']);
    expect(JSON.stringify(environmentOf('Sweep').STATE_MACHINE_ARN)).toContain(
      `:stateMachine:${DEFAULT_STATE_MACHINE_NAME}`,
    );
  });

  it('gives the link keys and the page URL only to the functions that sign links', () => {
    const signers = [...synth.stack.functions.keys()].filter(
      (name) => environmentOf(name).APPROVAL_KEYS_SECRET !== undefined,
    );
    expect(signers.sort()).toEqual(['ApprovalExpired', 'ApprovalPage', 'RecordRejection', 'RequestApproval']);
    for (const name of ['ApprovalExpired', 'RecordRejection', 'RequestApproval']) {
      expect(environmentOf(name).APPROVAL_BASE_URL, name).toEqual({
        'Fn::GetAtt': [logicalIdOf(synth.stack.approval.functionUrl), 'FunctionUrl'],
      });
    }
  });

  it('puts a configuration too large for the environment in an SSM parameter, read only by the functions that read the configuration', () => {
    /** The sample configuration with `n` buckets given a mode of their own (about 40 bytes each). */
    const withBuckets = (n: number) => {
      const config = defaultConfig();
      const byBucket = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`acme-bucket-with-a-long-name-${i}`, 'approve' as const]),
      );
      return { config: { ...config, modes: { ...config.modes, byBucket } } };
    };
    const large = synthesize(withBuckets(80));
    const parameters = Object.values(ofType(large.resources, 'AWS::SSM::Parameter'));
    expect(parameters).toHaveLength(1);
    const value = String(parameters[0]?.Properties?.Value);
    expect(JSON.parse(value)).toEqual(large.stack.config);
    expect(parameters[0]?.Properties?.Tier).toBe(Buffer.byteLength(value) > 4096 ? 'Advanced' : 'Standard');
    const parameterId = large.idOf(large.stack.configParameter as IConstruct);
    for (const [name, fn] of large.stack.functions) {
      const variables = variablesOf(large.resources[large.idOf(fn.function)]);
      expect(variables.RESPONDER_CONFIG, name).toBeUndefined();
      const reads = ['ApprovalPage', 'RotateApprovalKeys'].includes(name) ? undefined : parameterId;
      expect(referencedId(variables.RESPONDER_CONFIG_PARAMETER), name).toBe(reads);
      const statements = statementsOfRole(large.resources, large.idOf(fn.role)).filter((statement) =>
        actionsOf(statement).includes('ssm:GetParameter'),
      );
      expect(statements.length, name).toBe(reads ? 1 : 0);
    }
    expect(() => synthesize(withBuckets(400))).toThrow(/an SSM parameter holds at most 8192/);
    expect(Object.values(ofType(resources, 'AWS::SSM::Parameter'))).toEqual([]);
  });

  it('passes the configuration inline to every function that reads it, as the schema parsed it', () => {
    for (const name of synth.stack.functions.keys()) {
      // The page reads only its table and key ring; the rotation only the secret its event names.
      if (name === 'ApprovalPage' || name === 'RotateApprovalKeys') continue;
      const env = environmentOf(name);
      expect(JSON.parse(String(env.RESPONDER_CONFIG)), name).toEqual(synth.stack.config);
      expect(env.TABLE_NAME, name).toBeDefined();
      expect(env.EVIDENCE_BUCKET, name).toBeDefined();
    }
  });

  it('creates the chat webhooks secret only when chat channels are configured', () => {
    expect(synth.stack.secrets.chatWebhooks).toBeUndefined();
    const withChat = synthesize({
      config: { ...synth.stack.config, chat: { channels: [{ name: 'sec-ops', kind: 'slack' }] } },
    });
    expect(Object.keys(ofType(withChat.resources, 'AWS::SecretsManager::Secret'))).toHaveLength(2);
    const posters = [...withChat.stack.functions.keys()].filter((name) => {
      const fn = withChat.stack.functions.get(name);
      const id = fn ? withChat.idOf(fn.function) : '';
      return variablesOf(withChat.resources[id]).CHAT_WEBHOOKS_SECRET !== undefined;
    });
    expect(posters.sort()).toEqual([
      'ApprovalExpired',
      'CloseIncident',
      'RecordRejection',
      'RequestApproval',
      'SummarizeMacieScan',
    ]);
  });
});

describe('the intake', () => {
  it('starts the state machine with retries and a dead-letter queue', () => {
    const queueId = logicalIdOf(synth.stack.intake.deadLetterQueue);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { Ref: logicalIdOf(synth.stack.workflow.stateMachine) },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
  });

  it('keeps dead letters encrypted and reachable over TLS only', () => {
    const queueId = logicalIdOf(synth.stack.intake.deadLetterQueue);
    expect(resources[queueId]?.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    const policies = Object.values(ofType(resources, 'AWS::SQS::QueuePolicy')).filter((policy) =>
      listOf(policy.Properties?.Queues).some((queue) => referencedId(queue) === queueId),
    );
    const statements = policies.flatMap((policy) => statementsOf(policy.Properties?.PolicyDocument));
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});

describe('the wiring between functions', () => {
  it("tells NormalizeEvent RemediateExposure's role, so the events our own fix causes are ignored", () => {
    const remediation = synth.stack.functions.get('RemediateExposure');
    if (!remediation) throw new Error('no RemediateExposure');
    expect(referencedId(environmentOf('NormalizeEvent').OWN_ROLE_ARNS)).toBe(logicalIdOf(remediation.role));
    for (const name of synth.stack.functions.keys()) {
      if (name !== 'NormalizeEvent') expect(environmentOf(name).OWN_ROLE_ARNS, name).toBeUndefined();
    }
  });

  it('sends an email feedback event that still fails after the retries to the feedback dead-letter queue', () => {
    const feedback = synth.stack.functions.get('EmailFeedback');
    if (!feedback) throw new Error('no EmailFeedback');
    const configs = Object.values(ofType(resources, 'AWS::Lambda::EventInvokeConfig'));
    expect(configs).toHaveLength(1);
    const props = configs[0]?.Properties ?? {};
    expect(referencedId(props.FunctionName)).toBe(logicalIdOf(feedback.function));
    const onFailure = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } }).OnFailure;
    expect(referencedId(onFailure?.Destination)).toBe(logicalIdOf(synth.stack.email.deadLetterQueue));
  });

  it('rotates the approval key ring every 30 days unless told otherwise, and 0 turns it off', () => {
    const schedules = Object.values(ofType(resources, 'AWS::SecretsManager::RotationSchedule'));
    expect(schedules.map((s) => s.Properties?.RotationRules)).toEqual([
      expect.objectContaining({ ScheduleExpression: 'rate(30 days)' }),
    ]);
    const off = synthesize({ approvalKeyRotationDays: 0 });
    expect(ofType(off.resources, 'AWS::SecretsManager::RotationSchedule')).toEqual({});
    expect(off.stack.functions.has('RotateApprovalKeys')).toBe(false);
    // The hand-written ring keeps no previous key: offered only where nothing rotates.
    const outputs = (s: Synthesized) => Object.keys(s.template.toJSON().Outputs as object);
    expect(outputs(synth)).toContain('ApprovalKeysRotateNow');
    expect(outputs(synth)).not.toContain('ApprovalKeysSetup');
    expect(outputs(off)).toContain('ApprovalKeysSetup');
    expect(outputs(off)).not.toContain('ApprovalKeysRotateNow');
    expect(() => synthesize({ approvalKeyRotationDays: 2.5 })).toThrow(/whole number of days/);
  });
});

describe('IAM', () => {
  it('has no statement that allows every action, or every action of a service', () => {
    const policies = [
      ...Object.values(ofType(resources, 'AWS::IAM::Policy')).map((p) => p.Properties?.PolicyDocument),
      ...Object.values(ofType(resources, 'AWS::IAM::Role')).flatMap((role) =>
        ((role.Properties?.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument),
      ),
    ] as { Statement: Record<string, unknown>[] }[];
    expect(policies.length).toBeGreaterThan(0);
    for (const statement of policies.flatMap((policy) => policy.Statement)) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^\*$|:\*$/);
    }
  });

  it('attaches no AWS managed policy to any role', () => {
    for (const [id, role] of Object.entries(ofType(resources, 'AWS::IAM::Role'))) {
      expect(role.Properties?.ManagedPolicyArns, id).toBeUndefined();
    }
  });
});
