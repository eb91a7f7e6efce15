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
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

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
}

export class ResponderSecrets extends Construct {
  /** The key ring approval links are signed with (APPROVAL_KEYS_SECRET). */
  readonly approvalKeys: secretsmanager.Secret;
  /** The chat channels' webhook URLs (CHAT_WEBHOOKS_SECRET), when configured. */
  readonly chatWebhooks?: secretsmanager.ISecret;

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
    acknowledge(
      this.approvalKeys,
      'AwsSolutions-SMG4',
      'Not rotated by Secrets Manager yet: the ring is rotated by writing a new current key and keeping the old one in previous (links already sent keep working until they expire); a rotation function that does this on a schedule is the next step of issue 12.',
    );
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
}
