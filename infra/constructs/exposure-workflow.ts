/**
 * The state machine, from `statemachine/exposure-response.asl.json` as it is (CDK only loads it):
 * every `${…FunctionArn}` placeholder substituted with its function's ARN, the approval wait's
 * TimeoutSeconds set from the configuration, Standard type, X-Ray tracing, and logs at level
 * ERROR without execution data to a KMS-encrypted log group (an execution's data holds the
 * approval task token, a credential to decide the approval).
 *
 * The definition is passed as a string, so CDK cannot see which functions it calls: the role
 * gets `lambda:InvokeFunction` on exactly those functions here.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  APPROVAL_TIMEOUT_MARGIN_SECONDS,
  type AslDefinition,
  functionTaskStates,
  placeholdersIn,
  withApprovalTimeout,
} from '../asl.js';
import { acknowledge } from '../nag.js';

export interface ExposureWorkflowProps {
  /** The parsed ASL file. */
  readonly definition: AslDefinition;
  /** The fixed name the functions' STATE_MACHINE_ARN was built from. */
  readonly stateMachineName: string;
  /** The function of each Task state, by state name. */
  readonly functions: ReadonlyMap<string, lambda.IFunction>;
  /** The configuration's `timings.approvalTtlSeconds`: the wait lasts this plus the margin. */
  readonly approvalTtlSeconds: number;
  readonly logRetention: logs.RetentionDays;
  readonly logKey: kms.IKey;
}

export class ExposureWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** The substitutions passed with the definition: placeholder name -> value. */
  readonly substitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ExposureWorkflowProps) {
    super(scope, id);
    const definition = withApprovalTimeout(
      props.definition,
      props.approvalTtlSeconds + APPROVAL_TIMEOUT_MARGIN_SECONDS,
    );
    const text = JSON.stringify(definition, null, 2);
    const substitutions: Record<string, string> = {};
    const invoked: lambda.IFunction[] = [];
    for (const task of functionTaskStates(definition)) {
      const fn = props.functions.get(task.state);
      if (!fn) throw new Error(`no function for the ASL Task state ${task.state}`);
      substitutions[task.placeholder] = fn.functionArn;
      invoked.push(fn);
    }
    const unfilled = placeholdersIn(text).filter((name) => !(name in substitutions));
    if (unfilled.length > 0)
      throw new Error(`ASL placeholders without a substitution: ${unfilled.join(', ')}`);
    this.substitutions = substitutions;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(text),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    // Only the unqualified ARNs the definition names: `grantInvoke` would add every version and
    // alias (`<arn>:*`), which the state machine never calls.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'InvokeTaskFunctions',
        actions: ['lambda:InvokeFunction'],
        resources: invoked.map((fn) => fn.functionArn),
      }),
    );
    acknowledge(
      this.stateMachine,
      'AwsSolutions-SF1',
      "Level ERROR, without execution data, on purpose: an execution's data holds the approval task token (a credential to decide the approval) and bucket policies; ALL would copy them into the logs. Failures are still logged, and the execution history keeps every step.",
    );
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'CDK grants the log delivery actions (logs:CreateLogDelivery, logs:PutResourcePolicy, ...) and X-Ray (xray:PutTraceSegments, ...) that logging and tracing need; they have no resource type in IAM, so "*" is the only resource they accept.',
    );
  }
}
