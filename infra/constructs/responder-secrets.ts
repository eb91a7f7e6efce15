/**
 * The responder's secrets, never in the template: the key ring that signs approval links, and
 * (when chat is configured) the chat channels' webhook URLs. Both are read by the functions
 * through Powertools Parameters with a five-minute cache, so a rotated value lands without a
 * deployment.
 *
 * The key ring's shape is `{"current":{"id":"k1","secret":"<base64 of 32+ bytes>"},"previous":[]}`
 * (`parseKeyRing` in tasks/shared/approval/links.ts). Secrets Manager can only generate one
 * top-level string key into a JSON template, not a nested object, so the generated value is
 * `{"id":"k1","secret":"<64 random letters and digits>"}`: the secret material is generated in
 * AWS and never seen by the deployer, and `parseKeyRing` reads such a lone key as a ring of one.
 * {@link keyRingSetupCommand} writes a full ring, the form a rotation keeps (current + previous).
 *
 * With `approvalKeyRotation`, Secrets Manager rotates the ring on a schedule through the function
 * of `tasks/rotate-approval-keys`: a fresh key signs, the old one stays as the only previous key.
 * The first rotation turns the generated lone key into a ring.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SdkCall } from '../iam-actions.js';
import { acknowledge } from '../nag.js';
import { ResponderFunction, type ScopeResources } from './responder-function.js';

/** The calls the rotation function sends (tasks/rotate-approval-keys/rotation.ts): its whole role. */
export const KEY_ROTATION_CALLS: readonly SdkCall[] = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

/** How often the key ring rotates unless told otherwise. */
export const DEFAULT_KEY_ROTATION = Duration.days(30);

/**
 * How much longer than the approval TTL the interval must be. The ring keeps one previous key,
 * so a link must expire before the second rotation after it was signed, and the longest-lived
 * link is a chat status link: the approval's deadline plus a week (STATUS_LINK_GRACE_MS in
 * tasks/shared/approval/chat-status.ts). Secrets Manager rotates at any time of the scheduled UTC
 * day, so two rotations may come up to a day closer than the interval; and the functions cache
 * the ring for five minutes (links.ts), so one may sign with the old key that long after a rotation.
 */
const ROTATION_MARGIN = Duration.days(7 + 1).plus(Duration.minutes(5));

/** Scheduled rotation of the approval key ring. */
export interface ApprovalKeyRotationProps {
  /** Time between rotations, at least the approval TTL plus 8 days and 5 minutes. @default 30 days */
  readonly after?: Duration;
  /** How long an approval link stays valid (`timings.approvalTtlSeconds`). */
  readonly approvalTtl: Duration;
  /** The rotation function's log retention and log key, as the other functions have them. */
  readonly logRetention: logs.RetentionDays;
  readonly logKey: kms.IKey;
}

/**
 * The command that writes the approval key ring once, after the first deployment (a stack
 * output): 32 random bytes made on the operator's machine, never in the template.
 */
export function keyRingSetupCommand(secretArn: string): string {
  const ring =
    'const s=require("crypto").randomBytes(32).toString("base64");console.log(JSON.stringify({current:{id:"k1",secret:s},previous:[]}))';
  return `aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string "$(node -e '${ring}')"`;
}

export interface ResponderSecretsProps {
  /**
   * Create the chat webhooks' secret (empty, `{}`: the operator writes `{ "<channel>": "https://…" }`)
   * or use an existing one. Unset: no chat secret, and the functions post to no channel.
   */
  readonly chatWebhooks?: { readonly create: true } | { readonly existingSecretArn: string };
  /** Rotate the approval key ring on a schedule. Unset: no rotation (the ring is rotated by hand). */
  readonly approvalKeyRotation?: ApprovalKeyRotationProps;
}

export class ResponderSecrets extends Construct {
  /** The key ring approval links are signed with (APPROVAL_KEYS_SECRET). */
  readonly approvalKeys: secretsmanager.Secret;
  /** The chat channels' webhook URLs (CHAT_WEBHOOKS_SECRET), when configured. */
  readonly chatWebhooks?: secretsmanager.ISecret;
  /** The function Secrets Manager rotates the key ring with, when rotation is on. */
  readonly rotationFunction?: ResponderFunction;

  constructor(scope: Construct, id: string, props: ResponderSecretsProps) {
    super(scope, id);
    this.approvalKeys = new secretsmanager.Secret(this, 'ApprovalKeys', {
      description:
        'S3 Exposure Responder: the HMAC key ring approval links are signed with. Generated as one key {"id","secret"}; rotate by writing {"current":{"id","secret"},"previous":[…]} (see the stack output ApprovalKeysSetup).',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ id: 'k1' }),
        generateStringKey: 'secret',
        excludePunctuation: true,
        passwordLength: 64,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.approvalKeyRotation) {
      this.rotationFunction = this.rotateApprovalKeys(props.approvalKeyRotation);
    } else {
      acknowledge(
        this.approvalKeys,
        'AwsSolutions-SMG4',
        'Rotation is turned off for this deployment (approvalKeyRotationDays 0): the ring is rotated by hand, by writing a new current key and keeping the old one in previous, so links already sent keep working until they expire.',
      );
    }
    const chat = props.chatWebhooks;
    if (chat && 'existingSecretArn' in chat) {
      this.chatWebhooks = secretsmanager.Secret.fromSecretCompleteArn(
        this,
        'ChatWebhooks',
        chat.existingSecretArn,
      );
    } else if (chat) {
      this.chatWebhooks = new secretsmanager.Secret(this, 'ChatWebhooks', {
        description:
          'S3 Exposure Responder: the webhook URL of each chat channel the configuration names, as { "<channel>": "https://…" }',
        secretObjectValue: {},
        removalPolicy: RemovalPolicy.RETAIN,
      });
      acknowledge(
        this.chatWebhooks,
        'AwsSolutions-SMG4',
        'Webhook URLs are issued by Slack and Teams, not generated here: they are rotated by replacing them in the chat tool and writing the new URLs, which the functions read within five minutes.',
      );
    }
  }

  /**
   * The rotation function and its schedule. Built from the CloudFormation resources rather than
   * `addRotationSchedule`, which would also grant `secretsmanager:GetRandomPassword` on `*`: the
   * function makes its keys itself, so its role holds the four calls of the rotation contract on
   * this secret and nothing else.
   */
  private rotateApprovalKeys(rotation: ApprovalKeyRotationProps): ResponderFunction {
    const after = rotation.after ?? DEFAULT_KEY_ROTATION;
    const shortest = Math.ceil(rotation.approvalTtl.plus(ROTATION_MARGIN).toSeconds() / 86_400);
    if (after.toSeconds() < shortest * 86_400 || after.toSeconds() > Duration.days(1000).toSeconds()) {
      throw new Error(
        `approval key rotation every ${after.toHumanString()}: must be ${shortest} to 1000 days. The ring keeps one previous key, so a link signed just before a rotation must expire before the next one: the approval TTL (${rotation.approvalTtl.toHumanString()}) plus a week for chat status links, a day for Secrets Manager's rotation window and five minutes for the functions' cache of the ring`,
      );
    }
    // Only the keys secret: every other scope is left unset, so any other call fails the synth.
    const scopes: Partial<ScopeResources> = { secrets: { resources: [this.approvalKeys.secretArn] } };
    const fn = new ResponderFunction(this, 'RotateApprovalKeys', {
      folder: 'rotate-approval-keys',
      description:
        'Rotates the approval key ring (Secrets Manager rotation): a new signing key, the old one kept to verify links already sent',
      timeout: Duration.seconds(30),
      calls: KEY_ROTATION_CALLS,
      scopes: scopes as ScopeResources,
      environment: {},
      logRetention: rotation.logRetention,
      logKey: rotation.logKey,
    });
    // Secrets Manager invokes the function on behalf of this account only (confused deputy):
    // aws:SourceAccount, as Secrets Manager's documentation recommends for rotation functions.
    const invoke = new lambda.CfnPermission(this, 'RotationInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: fn.function.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: Stack.of(this).account,
    });
    const schedule = new secretsmanager.CfnRotationSchedule(this, 'ApprovalKeysRotation', {
      secretId: this.approvalKeys.secretArn,
      rotationLambdaArn: fn.function.functionArn,
      rotationRules: { scheduleExpression: events.Schedule.rate(after).expressionString },
      // A change of the schedule must not rotate at once: each rotation drops the previous key,
      // so two close together would break links still valid.
      rotateImmediatelyOnUpdate: false,
    });
    // Secrets Manager checks that it may invoke the function when the schedule is set.
    schedule.node.addDependency(invoke);
    return fn;
  }
}
