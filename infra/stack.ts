/**
 * The responder in one stack (no nested stacks): the incident table, the evidence bucket, the
 * secrets, one function per Task state of the ASL plus the approval page, the sweep and the
 * email feedback, the state machine, and the EventBridge rule that starts it.
 *
 * The state machine names its functions, and three functions start executions of it
 * (STATE_MACHINE_ARN, `states:StartExecution`): with the machine's own ARN that is a
 * CloudFormation cycle. The machine therefore gets a fixed name, and its ARN is built from that
 * name (`Stack.formatArn`) for the functions' environment and roles.
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { parseConfig } from '../tasks/shared/config.js';
import type { ResponderConfig, ResponderConfigInput } from '../tasks/shared/contracts.js';
import { functionTaskStates, kebabCase, readDefinition } from './asl.js';
import { ApprovalEndpoint } from './constructs/approval-endpoint.js';
import { DataEvents, type DataEventsOptions } from './constructs/data-events.js';
import { EmailDelivery } from './constructs/email-delivery.js';
import { EvidenceBucket } from './constructs/evidence-bucket.js';
import { ExposureIntake } from './constructs/exposure-intake.js';
import { ExposureWorkflow } from './constructs/exposure-workflow.js';
import { IncidentTable } from './constructs/incident-table.js';
import { OperatorAlarms } from './constructs/operator-alarms.js';
import { ResponderFunction, type ScopeResources, standardScopes } from './constructs/responder-function.js';
import { keyRingSetupCommand, ResponderSecrets } from './constructs/responder-secrets.js';
import { SweepSchedule } from './constructs/sweep-schedule.js';
import { type FunctionSpec, SERVICE_FUNCTIONS, TASK_FUNCTIONS } from './functions.js';
import type { SdkCall } from './iam-actions.js';

/** Where RemediateExposure writes backups in the evidence bucket (`tasks/remediate-exposure/backup.ts`). */
const BACKUP_PREFIX = 'backups/';

/** The state machine's name unless the props give one (the local runner uses the same). */
export const DEFAULT_STATE_MACHINE_NAME = 's3-exposure-response';

/**
 * Lambda allows 4 KB of environment per function, beside the table, the secrets and the URLs:
 * a configuration up to this size travels inline (RESPONDER_CONFIG), a larger one in an SSM
 * parameter the functions read at start (RESPONDER_CONFIG_PARAMETER).
 */
const MAX_INLINE_CONFIG_BYTES = 3_000;
/** An SSM String parameter holds 4 KB (standard tier) or 8 KB (advanced tier, billed per month). */
const MAX_STANDARD_PARAMETER_BYTES = 4_096;
const MAX_PARAMETER_BYTES = 8_192;

export interface ResponderStackProps extends StackProps {
  /**
   * The responder's configuration (recipients, approvers, response modes, approval TTL, Macie,
   * exceptions, chat channels, the accounts covered), validated at synth with the same schema
   * the functions use. The approval wait's TimeoutSeconds comes from `timings.approvalTtlSeconds`.
   */
  readonly config: ResponderConfigInput;
  /**
   * The state machine's name, fixed so the functions can be given its ARN without a cycle.
   * @default 's3-exposure-response'
   */
  readonly stateMachineName?: string;
  /**
   * How long the functions' and the state machine's logs are kept.
   * @default one year
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The chat channels' webhook URLs: an existing Secrets Manager secret, given by its complete
   * ARN. Without it, a secret is created (empty) when the configuration names chat channels.
   * @default created when `config.chat.channels` is not empty, otherwise none
   */
  readonly chatWebhooksSecretArn?: string;
  /**
   * The URL approvers reach the approval page at, when a custom domain stands in front of it.
   * @default the page's Lambda function URL
   */
  readonly approvalBaseUrl?: string;
  /**
   * Reserved concurrency of the approval page (a public URL). Opt-in: an account with few
   * functions may not reserve below its unreserved minimum.
   * @default none
   */
  readonly approvalPageReservedConcurrency?: number;
  /**
   * Subscribe each operator address of the configuration (`operators.email`) to the operators'
   * topic by email (SNS asks each address to confirm first). Off when the topic is wired to a
   * pager or chat some other way.
   * @default true
   */
  readonly subscribeOperatorEmails?: boolean;
  /**
   * How often EventBridge Scheduler runs the sweep (the backstop for events that never arrived).
   * @default six hours
   */
  readonly sweepInterval?: Duration;
  /**
   * Create the sender's SES email identity (`config.sender`) with the responder's configuration
   * set as its default (SES then emails the address to verify it). Off by default: an identity
   * already verified in the account (the address or its domain) cannot be created again; set
   * the configuration set as its default with the `SenderIdentitySetup` output's command.
   * @default false
   */
  readonly manageSenderIdentity?: boolean;
  /**
   * CloudTrail data events for the object-level calls that can change an object's ACL: a trail
   * of its own (data events only, so management events are not billed twice) whose advanced
   * event selectors log write calls on S3 objects with these eventNames. Without it, EventBridge
   * never sees PutObjectAcl or an ACL sent with an upload, and an object made public by its own
   * ACL is not answered. Data events cost money per event delivered: `acl` logs PutObjectAcl
   * only (cheaper, partial); `writes` also logs the uploads that can carry an ACL (every upload).
   * `buckets` narrows the trail to those buckets' objects; `allRegions` makes it multi-Region.
   * @default off
   */
  readonly dataEvents?: DataEventsOptions;
  /**
   * S3 Object Lock on the evidence bucket: governance mode, default retention of this many days
   * (a positive whole number, at most 36,500). Object Lock is turned on only as the bucket is
   * created: decide before the first deploy; it can never be turned off.
   * @default no Object Lock
   */
  readonly evidenceObjectLockDays?: number;
  /**
   * Days between automatic rotations of the approval key ring (Secrets Manager, through the
   * RotateApprovalKeys function); 0 turns rotation off. At least the approval TTL plus 8 days and
   * 5 minutes (the longest a signed link lives, and the day a rotation may fall on), checked at synth.
   * @default 30
   */
  readonly approvalKeyRotationDays?: number;
}

export class ResponderStack extends Stack {
  readonly config: ResponderConfig;
  readonly table: IncidentTable;
  readonly evidence: EvidenceBucket;
  readonly secrets: ResponderSecrets;
  readonly approval: ApprovalEndpoint;
  readonly workflow: ExposureWorkflow;
  readonly intake: ExposureIntake;
  readonly alarms: OperatorAlarms;
  readonly sweepSchedule: SweepSchedule;
  readonly email: EmailDelivery;
  /** The configuration's SSM parameter, when it is too large for the functions' environment. */
  readonly configParameter: ssm.StringParameter | undefined;
  /** The data events trail, when `dataEvents` is set. */
  readonly dataEvents: DataEvents | undefined;
  /** Every responder function: the Task states' by state name, then ApprovalPage, Sweep, EmailFeedback. */
  readonly functions: ReadonlyMap<string, ResponderFunction>;

  constructor(scope: Construct, id: string, props: ResponderStackProps) {
    super(scope, id, props);
    this.config = parseConfig(props.config);
    const configJson = JSON.stringify(this.config);
    const configBytes = Buffer.byteLength(configJson);
    if (configBytes > MAX_PARAMETER_BYTES) {
      throw new Error(
        `the configuration is ${configBytes} bytes as JSON; an SSM parameter holds at most ${MAX_PARAMETER_BYTES}`,
      );
    }
    this.configParameter =
      configBytes > MAX_INLINE_CONFIG_BYTES
        ? new ssm.StringParameter(this, 'Configuration', {
            description: `S3 Exposure Responder: the configuration (${configBytes} bytes, too large for the functions' environment)`,
            stringValue: configJson,
            tier:
              configBytes > MAX_STANDARD_PARAMETER_BYTES
                ? ssm.ParameterTier.ADVANCED
                : ssm.ParameterTier.STANDARD,
          })
        : undefined;
    const configEnvironment: Record<string, string> = this.configParameter
      ? { RESPONDER_CONFIG_PARAMETER: this.configParameter.parameterName }
      : { RESPONDER_CONFIG: configJson };
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const stateMachineName = props.stateMachineName ?? DEFAULT_STATE_MACHINE_NAME;
    const stateMachineArn = this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const executionsArn = this.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const logKey = new kms.Key(this, 'LogKey', {
      description: 'S3 Exposure Responder: encrypts the functions and state machine logs',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*`,
          },
        },
      }),
    );

    this.table = new IncidentTable(this, 'Incidents');
    this.evidence = new EvidenceBucket(
      this,
      'Evidence',
      props.evidenceObjectLockDays === undefined ? {} : { objectLockDays: props.evidenceObjectLockDays },
    );
    this.dataEvents = props.dataEvents
      ? new DataEvents(this, 'DataEvents', {
          ...props.dataEvents,
          accessLogsBucket: this.evidence.accessLogs,
          excludeBuckets: [this.evidence.bucket, this.evidence.accessLogs],
        })
      : undefined;
    const chatWebhooks =
      props.chatWebhooksSecretArn !== undefined
        ? { existingSecretArn: props.chatWebhooksSecretArn }
        : this.config.chat.channels.length > 0
          ? ({ create: true } as const)
          : undefined;
    const rotationDays = props.approvalKeyRotationDays ?? 30;
    if (!Number.isInteger(rotationDays) || rotationDays < 0) {
      throw new Error(
        `approvalKeyRotationDays must be a whole number of days (0: no rotation), not ${rotationDays}`,
      );
    }
    this.secrets = new ResponderSecrets(this, 'Secrets', {
      ...(chatWebhooks ? { chatWebhooks } : {}),
      ...(rotationDays > 0
        ? {
            approvalKeyRotation: {
              after: Duration.days(rotationDays),
              approvalTtl: Duration.seconds(this.config.timings.approvalTtlSeconds),
              logRetention,
              logKey,
            },
          }
        : {}),
    });

    this.email = new EmailDelivery(this, 'Email', {
      sender: this.config.sender,
      manageSenderIdentity: props.manageSenderIdentity ?? false,
    });

    const sharedScopes = {
      ...standardScopes(this),
      table: { resources: [this.table.table.tableArn] },
      evidenceObject: {
        resources: [this.evidence.bucket.arnForObjects(`${BACKUP_PREFIX}*`)],
        wildcardReason:
          'Each backup is a new object under backups/<bucket>/<incident>/ of the evidence bucket, named when it is written; only that prefix of that bucket.',
      },
      stateMachine: { resources: [stateMachineArn] },
      configParameter: this.configParameter ? { resources: [this.configParameter.parameterArn] } : undefined,
      executions: {
        resources: [executionsArn],
        wildcardReason:
          "An execution's name is made when it starts (events, the sweep, handovers), and a lease names its holder: only executions of this state machine.",
      },
      sesIdentities: {
        resources: [
          `arn:${this.partition}:ses:${this.region}:${this.account}:identity/*`,
          this.email.configurationSetArn,
        ],
        conditions: { StringEquals: { 'ses:FromAddress': this.config.sender } },
        wildcardReason:
          "SES authorizes SendEmail on the sending identity (the address, or its domain) and, while the account is in the SES sandbox, on each recipient's identity; the ses:FromAddress condition allows only the configured sender. A message sent with a configuration set is also authorized on the set: the responder's own.",
      },
    };
    const scopesWith = (secrets: readonly string[]): ScopeResources => ({
      ...sharedScopes,
      secrets: secrets.length > 0 ? { resources: [...secrets] } : undefined,
    });

    const keysSecret = this.secrets.approvalKeys.secretArn;
    this.approval = new ApprovalEndpoint(this, 'Approval', {
      environment: { TABLE_NAME: this.table.table.tableName, APPROVAL_KEYS_SECRET: keysSecret },
      scopes: scopesWith([keysSecret]),
      extraCalls: ['secretsmanager:GetSecretValue'],
      ...(props.approvalBaseUrl === undefined ? {} : { baseUrl: props.approvalBaseUrl }),
      ...(props.approvalPageReservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: props.approvalPageReservedConcurrency }),
      logRetention,
      logKey,
    });

    /** The environment and grants of a function that reads the configuration. */
    const runtimeFunction = (
      id: string,
      folder: string,
      spec: FunctionSpec,
      timeout: Duration,
      description: string,
    ): ResponderFunction => {
      const secrets: string[] = [];
      const environment: Record<string, string> = {
        TABLE_NAME: this.table.table.tableName,
        ...configEnvironment,
        EVIDENCE_BUCKET: this.evidence.bucket.bucketName,
      };
      if (spec.calls.includes('sfn:StartExecution')) environment.STATE_MACHINE_ARN = stateMachineArn;
      if (spec.signsLinks) {
        environment.APPROVAL_BASE_URL = this.approval.baseUrl;
        environment.APPROVAL_KEYS_SECRET = keysSecret;
        secrets.push(keysSecret);
      }
      const chat = this.secrets.chatWebhooks;
      if (spec.postsToChat && chat) {
        environment.CHAT_WEBHOOKS_SECRET = chat.secretArn;
        secrets.push(chat.secretArn);
      }
      const calls: SdkCall[] = [...spec.calls];
      if (secrets.length > 0) calls.push('secretsmanager:GetSecretValue');
      if (this.configParameter) calls.push('ssm:GetParameter');
      return new ResponderFunction(this, id, {
        folder,
        description,
        timeout,
        calls,
        scopes: scopesWith(secrets),
        environment,
        logRetention,
        logKey,
        ...(spec.memoryMiB === undefined ? {} : { memoryMiB: spec.memoryMiB }),
      });
    };

    const functions = new Map<string, ResponderFunction>();
    const { definition } = readDefinition();
    for (const task of functionTaskStates(definition)) {
      const spec = TASK_FUNCTIONS[task.state];
      if (!spec) throw new Error(`infra/functions.ts lists no calls for the ASL Task state ${task.state}`);
      // An invocation has the state's TimeoutSeconds, as the local runner gives it; the approval
      // request's state waits for the decision, but its invocation only sends the request.
      const timeout = Duration.seconds(task.waitsForToken ? 60 : task.timeoutSeconds);
      functions.set(
        task.state,
        runtimeFunction(
          `${task.state}Task`,
          kebabCase(task.state),
          spec,
          timeout,
          `Task state ${task.state}`,
        ),
      );
    }
    const unused = Object.keys(TASK_FUNCTIONS).filter((state) => !functions.has(state));
    if (unused.length > 0)
      throw new Error(`infra/functions.ts lists states the ASL does not have: ${unused.join(', ')}`);

    functions.set('ApprovalPage', this.approval.page);
    if (this.secrets.rotationFunction) functions.set('RotateApprovalKeys', this.secrets.rotationFunction);
    for (const name of ['Sweep', 'EmailFeedback'] as const) {
      const spec = SERVICE_FUNCTIONS[name];
      functions.set(
        name,
        runtimeFunction(name, spec.folder, spec, Duration.seconds(spec.timeoutSeconds), spec.description),
      );
    }
    this.functions = functions;
    // The responder's own fix changes the bucket too; NormalizeEvent ignores the events it causes.
    const remediation = functions.get('RemediateExposure');
    const normalize = functions.get('NormalizeEvent');
    if (!remediation || !normalize) throw new Error('no RemediateExposure or NormalizeEvent function');
    normalize.function.addEnvironment('OWN_ROLE_ARNS', remediation.role.roleArn);

    const taskFunctions = new Map<string, lambda.IFunction>();
    for (const task of functionTaskStates(definition)) {
      const fn = functions.get(task.state);
      if (fn) taskFunctions.set(task.state, fn.function);
    }
    this.workflow = new ExposureWorkflow(this, 'Workflow', {
      definition,
      stateMachineName,
      functions: taskFunctions,
      approvalTtlSeconds: this.config.timings.approvalTtlSeconds,
      logRetention,
      logKey,
    });
    this.intake = new ExposureIntake(this, 'Intake', { stateMachine: this.workflow.stateMachine });
    const sweep = functions.get('Sweep');
    if (!sweep) throw new Error('no Sweep function');
    this.sweepSchedule = new SweepSchedule(this, 'SweepSchedule', {
      sweep: sweep.function,
      ...(props.sweepInterval === undefined ? {} : { interval: props.sweepInterval }),
    });
    const emailFeedback = functions.get('EmailFeedback');
    if (!emailFeedback) throw new Error('no EmailFeedback function');
    this.email.subscribe(emailFeedback.function);
    // SNS invokes the function asynchronously: an event it still fails after Lambda's two retries
    // goes to the same dead-letter queue as one SNS could not deliver, not nowhere.
    emailFeedback.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.email.deadLetterQueue),
    });
    this.alarms = new OperatorAlarms(this, 'Operators', {
      operatorEmails: this.config.operators.email,
      subscribeOperators: props.subscribeOperatorEmails ?? true,
      stateMachine: this.workflow.stateMachine,
      approvalPage: this.approval.page.function,
      emailFeedback: emailFeedback.function,
      deadLetterQueue: this.intake.deadLetterQueue,
      sweep: sweep.function,
      sweepDeadLetterQueue: this.sweepSchedule.deadLetterQueue,
      emailFeedbackDeadLetterQueue: this.email.deadLetterQueue,
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'IncidentTableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'EvidenceBucketName', { value: this.evidence.bucket.bucketName });
    new CfnOutput(this, 'ApprovalPageUrl', { value: this.approval.baseUrl });
    new CfnOutput(this, 'ApprovalKeysSecretArn', { value: keysSecret });
    if (this.secrets.rotationFunction) {
      new CfnOutput(this, 'ApprovalKeysRotateNow', {
        description:
          'Rotates the approval key ring now (a fresh key signs, the old one still verifies); twice in a row drops a leaked key, and the links signed with it',
        value: `aws secretsmanager rotate-secret --secret-id ${keysSecret}`,
      });
    } else {
      // Without rotation only: a ring written by hand keeps no previous key, so links already
      // sent would stop working.
      new CfnOutput(this, 'ApprovalKeysSetup', {
        description:
          'Optional, without rotation: writes a fresh key ring by hand (links already sent stop working); the generated single key works as it is',
        value: keyRingSetupCommand(keysSecret),
      });
    }
    new CfnOutput(this, 'OperatorsTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'SesConfigurationSetName', {
      value: this.email.configurationSet.configurationSetName,
    });
    if (!this.email.identity) {
      new CfnOutput(this, 'SenderIdentitySetup', {
        description: `Once, after the first deploy: makes the responder's configuration set the default of the verified sender identity (${this.config.sender}, or its domain if the domain is what is verified), so bounces and complaints reach the email-feedback function`,
        value: `aws sesv2 put-email-identity-configuration-set-attributes --email-identity ${this.config.sender} --configuration-set-name ${this.email.configurationSet.configurationSetName}`,
      });
    }
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.intake.deadLetterQueue.queueUrl });
    if (this.dataEvents) {
      new CfnOutput(this, 'DataEventsTrailArn', {
        description: `The CloudTrail trail logging S3 object data events (${this.dataEvents.eventNames.join(', ')}); billed per event delivered`,
        value: this.dataEvents.trailArn,
      });
      new CfnOutput(this, 'DataEventsLogBucketName', { value: this.dataEvents.logBucket.bucketName });
    }
  }
}
