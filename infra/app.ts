/**
 * The CDK app: one ResponderStack, configured through context (`cdk synth -c key=value`):
 *
 * - `configFile`: the responder's configuration (JSON, the same document `--config` takes
 *   locally), relative to the project root. Default `samples/config.json`, a sample: its
 *   recipients are example.com addresses.
 * - `stackName`: default `S3ExposureResponder`.
 * - `stateMachineName`, `approvalBaseUrl`, `chatWebhooksSecretArn`,
 *   `approvalPageReservedConcurrency`, `subscribeOperatorEmails` (`false` to turn it off): see
 *   ResponderStackProps.
 * - `manageSenderIdentity` (`true` to create the sender's SES identity): see ResponderStackProps.
 * - `sweepIntervalMinutes`: how often the sweep runs (default 360, six hours).
 *
 * The account and Region come from the CLI's environment (CDK_DEFAULT_ACCOUNT/REGION) when
 * known; without credentials the stack is environment-agnostic, and `npm run synth` still
 * writes the template. cdk-nag's AwsSolutions pack runs as a validation plugin, so a finding
 * nobody acknowledged fails the synth.
 */
import { readFileSync } from 'node:fs';
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../tasks/shared/config.js';
import { projectFile } from './paths.js';
import { ResponderStack } from './stack.js';

const app = new App();

function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

const configFile = context('configFile') ?? 'samples/config.json';
const config = parseConfig(JSON.parse(readFileSync(projectFile(configFile), 'utf8')));
const reserved = context('approvalPageReservedConcurrency');
const stateMachineName = context('stateMachineName');
const approvalBaseUrl = context('approvalBaseUrl');
const chatWebhooksSecretArn = context('chatWebhooksSecretArn');
const sweepIntervalMinutes = context('sweepIntervalMinutes');
const manageSenderIdentity = context('manageSenderIdentity');
const subscribeOperatorEmails = context('subscribeOperatorEmails');
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new ResponderStack(app, context('stackName') ?? 'S3ExposureResponder', {
  config,
  description: 'S3 Exposure Responder: classify, approve, remediate reversibly, report to Security Hub',
  ...(account && region ? { env: { account, region } } : {}),
  ...(stateMachineName ? { stateMachineName } : {}),
  ...(approvalBaseUrl ? { approvalBaseUrl } : {}),
  ...(chatWebhooksSecretArn ? { chatWebhooksSecretArn } : {}),
  ...(reserved ? { approvalPageReservedConcurrency: Number(reserved) } : {}),
  ...(sweepIntervalMinutes ? { sweepInterval: Duration.minutes(Number(sweepIntervalMinutes)) } : {}),
  ...(manageSenderIdentity ? { manageSenderIdentity: manageSenderIdentity === 'true' } : {}),
  ...(subscribeOperatorEmails ? { subscribeOperatorEmails: subscribeOperatorEmails !== 'false' } : {}),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
