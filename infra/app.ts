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
 * - `approvalKeyRotationDays`: days between automatic rotations of the approval key ring
 *   (default 30, `0` turns rotation off).
 * - `dataEvents` (`acl` or `writes`): CloudTrail data events for the object-level calls that
 *   can change an object's ACL (off by default; they cost money per event): `acl` logs
 *   PutObjectAcl only, `writes` also the uploads that can carry an ACL. `dataEventBuckets=a,b`
 *   narrows the trail to those buckets' objects. With `forwarderRegions`, the trail logs every
 *   Region. See ResponderStackProps.dataEvents.
 * - `evidenceObjectLockDays`: S3 Object Lock on the evidence bucket, governance mode, that many
 *   days of default retention (a positive whole number). Only as the bucket is created: decide
 *   before the first deploy.
 * - `region`: the main Region, when CDK_DEFAULT_REGION is not it (or not set).
 * - `forwarderRegions=eu-west-1,ap-southeast-2`: one ForwarderStack per Region, named
 *   `<stackName>-Forwarder-<region>`, sending that Region's exposure events to the main
 *   Region's default bus. Needs a known main Region (CDK_DEFAULT_REGION or `region`), which must
 *   not be in the list; the operators' addresses get this Region's alarm by email unless
 *   `subscribeOperatorEmails=false`.
 *
 * The account and Region come from the CLI's environment (CDK_DEFAULT_ACCOUNT/REGION) when
 * known; without credentials the stack is environment-agnostic, and `npm run synth` still
 * writes the template. The main stack is pinned to its Region when the account is known, when
 * `region` is given, or when there are forwarders. cdk-nag's AwsSolutions pack runs as a
 * validation plugin on the whole app (the forwarder stacks too), so a finding nobody
 * acknowledged fails the synth.
 */
import { readFileSync } from 'node:fs';
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../tasks/shared/config.js';
import { dataEventsFromContext } from './constructs/data-events.js';
import { ForwarderStack, forwarderRegionsFrom, forwarderStackName } from './forwarder-stack.js';
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
const approvalKeyRotationDays = context('approvalKeyRotationDays');
const subscribeOperatorEmails = context('subscribeOperatorEmails');
const evidenceObjectLockDays = context('evidenceObjectLockDays');
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = context('region') ?? process.env.CDK_DEFAULT_REGION;
const forwarderRegions = forwarderRegionsFrom(context('forwarderRegions'), region);
const dataEvents = dataEventsFromContext(context('dataEvents'), context('dataEventBuckets'));
if (evidenceObjectLockDays !== undefined && !/^\d+$/.test(evidenceObjectLockDays)) {
  throw new Error(`evidenceObjectLockDays must be a whole number of days, not "${evidenceObjectLockDays}"`);
}
const pinRegion = account !== undefined || context('region') !== undefined || forwarderRegions.length > 0;
const stackName = context('stackName') ?? 'S3ExposureResponder';

new ResponderStack(app, stackName, {
  config,
  description: 'S3 Exposure Responder: classify, approve, remediate reversibly, report to Security Hub',
  ...(region && pinRegion ? { env: { ...(account ? { account } : {}), region } } : {}),
  ...(stateMachineName ? { stateMachineName } : {}),
  ...(approvalBaseUrl ? { approvalBaseUrl } : {}),
  ...(chatWebhooksSecretArn ? { chatWebhooksSecretArn } : {}),
  ...(reserved ? { approvalPageReservedConcurrency: Number(reserved) } : {}),
  ...(sweepIntervalMinutes ? { sweepInterval: Duration.minutes(Number(sweepIntervalMinutes)) } : {}),
  ...(manageSenderIdentity ? { manageSenderIdentity: manageSenderIdentity === 'true' } : {}),
  ...(approvalKeyRotationDays ? { approvalKeyRotationDays: Number(approvalKeyRotationDays) } : {}),
  ...(subscribeOperatorEmails ? { subscribeOperatorEmails: subscribeOperatorEmails !== 'false' } : {}),
  ...(dataEvents ? { dataEvents: { ...dataEvents, allRegions: forwarderRegions.length > 0 } } : {}),
  ...(evidenceObjectLockDays ? { evidenceObjectLockDays: Number(evidenceObjectLockDays) } : {}),
});

for (const forwarderRegion of forwarderRegions) {
  new ForwarderStack(app, forwarderStackName(stackName, forwarderRegion), {
    description: `S3 Exposure Responder: forwards the exposure events of ${forwarderRegion} to ${region}`,
    env: { ...(account ? { account } : {}), region: forwarderRegion },
    mainRegion: region ?? '',
    ...(subscribeOperatorEmails === 'false' ? {} : { operatorEmails: config.operators.email }),
  });
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
