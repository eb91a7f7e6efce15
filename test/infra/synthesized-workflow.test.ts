/**
 * What is deployed is what was tested: the state machine definition is taken from the
 * synthesized template (its DefinitionString and DefinitionSubstitutions, every intrinsic
 * resolved to stand-in values), written to a file, and the scenario suite's main paths run on it
 * through the local runner with the real handlers and the sandbox account. The definition is
 * also compared, state by state, with the project's ASL: the only difference the stack means to
 * make is the approval wait's TimeoutSeconds, from the configuration.
 *
 * Stand-in ARNs: every `Fn::GetAtt [<State>TaskFunction…, Arn]` resolves to the ARN
 * `loadDefinition` writes for that state's placeholder
 * (`arn:aws:lambda:<region>:<account>:function:s3-exposure-<kebab>`), with the state read from
 * the function's logical id, not from the placeholder's name. The runner dispatches Task states
 * to handlers by state name, so the ARN form does not steer the run; it is chosen so the resolved
 * definition can be compared with `loadDefinition(…)` of the project's file as it is, and a
 * placeholder wired to another state's function shows up as a difference in that comparison.
 * The file the runner gets has no `${…}` left (loadDefinition would refuse one).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { kebabCase } from '../../infra/asl.js';
import { decideByLink } from '../../local/approval/decide.js';
import { defaultConfig } from '../../local/defaults.js';
import { LocalEnvironment } from '../../local/environment.js';
import { type ExecutionRecord, loadDefinition } from '../../local/runner.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import type { World } from '../../local/sandbox/world.js';
import type { ResponderConfig, ResponseMode } from '../../tasks/shared/contracts.js';
import {
  PATHS,
  responseExecutions,
  sampleEvent,
  startUntilApprovalWaits,
  tempStateDir,
  world,
} from '../workflow/support.js';
import { ofType, type Resources, synthesize } from './support.js';

const SAMPLE = world();
const REGION = SAMPLE.region;
const ACCOUNT = SAMPLE.accountId;

/**
 * The deployment's configuration: the sample's, with an approval TTL other than the one the ASL
 * file's default was written for, so the stack's change to the definition is visible.
 */
const DEPLOYED: ResponderConfig = {
  ...defaultConfig(),
  timings: { ...defaultConfig().timings, approvalTtlSeconds: 7_200 },
};
const APPROVAL_WAIT_SECONDS = 7_200 + 300;

type Json = unknown;
type Definition = { States: Record<string, Record<string, Json>> } & Record<string, Json>;

/** `<State>TaskFunction<hash>` -> the stand-in ARN loadDefinition gives `${<State>FunctionArn}`. */
function functionArn(resources: Resources, logicalId: string): string {
  const resource = resources[logicalId];
  if (resource?.Type !== 'AWS::Lambda::Function') throw new Error(`${logicalId} is not a function`);
  const state = /^(\w+?)TaskFunction[0-9A-F]{8}$/.exec(logicalId)?.[1];
  if (!state) throw new Error(`${logicalId} is not a task function`);
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:s3-exposure-${kebabCase(state)}`;
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Resolves the intrinsics a definition may hold: Fn::Join, Fn::Sub, Ref (pseudo parameters), Fn::GetAtt of a task function's Arn. */
function resolve(resources: Resources, value: Json): string {
  if (typeof value === 'string') return value;
  const node = (value ?? {}) as Record<string, Json>;
  const join = node['Fn::Join'] as [string, Json[]] | undefined;
  if (join) return join[1].map((part) => resolve(resources, part)).join(join[0]);
  const getAtt = node['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt && getAtt[1] === 'Arn') return functionArn(resources, getAtt[0]);
  if (typeof node.Ref === 'string' && PSEUDO[node.Ref]) return PSEUDO[node.Ref] as string;
  const sub = node['Fn::Sub'];
  if (sub !== undefined) {
    const [text, vars] = (Array.isArray(sub) ? sub : [sub, {}]) as [string, Record<string, Json>];
    return text.replace(/\$\{([\w:.]+)\}/g, (_m, name: string) => {
      if (name in vars) return resolve(resources, vars[name]);
      if (PSEUDO[name]) return PSEUDO[name] as string;
      if (name.endsWith('.Arn')) return functionArn(resources, name.slice(0, -4));
      throw new Error(`Fn::Sub variable ${name} has no stand-in`);
    });
  }
  throw new Error(`no stand-in for ${JSON.stringify(value)}`);
}

/** The deployed definition's text, as Step Functions gets it after CloudFormation's substitutions. */
function deployedDefinitionText(resources: Resources): string {
  const machines = Object.values(ofType(resources, 'AWS::StepFunctions::StateMachine'));
  expect(machines).toHaveLength(1);
  const properties = machines[0]?.Properties ?? {};
  const substitutions = Object.fromEntries(
    Object.entries((properties.DefinitionSubstitutions ?? {}) as Record<string, Json>).map(
      ([name, value]) => [name, resolve(resources, value)],
    ),
  );
  const text = resolve(resources, properties.DefinitionString).replace(
    /\$\{(\w+)\}/g,
    (match, name: string) => (name in substitutions ? (substitutions[name] as string) : match),
  );
  const left = text.match(/\$\{[\w:.]+\}/);
  if (left) throw new Error(`the deployed definition keeps ${left[0]}`);
  return text;
}

let aslFile = '';
let deployed: Definition;

beforeAll(async () => {
  const { resources } = synthesize({ config: DEPLOYED });
  const text = deployedDefinitionText(resources);
  deployed = JSON.parse(text) as Definition;
  const dir = await mkdtemp(join(tmpdir(), 's3-exposure-synthesized-'));
  aslFile = join(dir, 'exposure-response.asl.json');
  writeFileSync(aslFile, text);
});

/** State names whose definitions differ, with the fields that differ and both values. */
function differences(a: Definition, b: Definition): Record<string, Record<string, [Json, Json]>> {
  const found: Record<string, Record<string, [Json, Json]>> = {};
  for (const name of new Set([...Object.keys(a.States), ...Object.keys(b.States)])) {
    const left = a.States[name] ?? {};
    const right = b.States[name] ?? {};
    for (const field of new Set([...Object.keys(left), ...Object.keys(right)])) {
      if (isDeepStrictEqual(left[field], right[field])) continue;
      found[name] ??= {};
      (found[name] as Record<string, [Json, Json]>)[field] = [left[field], right[field]];
    }
  }
  return found;
}

describe('the synthesized definition', () => {
  it('is the project’s ASL, state by state, but for the approval wait set from the configuration', () => {
    const project = loadDefinition(REGION, ACCOUNT) as unknown as Definition;
    const { States: _deployedStates, ...deployedTop } = deployed;
    const { States: _projectStates, ...projectTop } = project;
    expect(deployedTop).toEqual(projectTop);
    expect(Object.keys(deployed.States)).toEqual(Object.keys(project.States));
    expect(differences(project, deployed)).toEqual({
      RequestApproval: { TimeoutSeconds: [86_700, APPROVAL_WAIT_SECONDS] },
    });
  });

  it('is the one the runner runs: same states, and the approval wait the runner sets is the deployed one', async () => {
    const environment = await open('approve');
    // The runner sets the wait from its configuration itself; it must agree with the stack.
    // (The local engine adds QueryLanguage to each state it loads, so the states are compared
    // by name and by that field, not whole.)
    const ran = environment.runner.definition as unknown as Definition;
    expect(Object.keys(ran.States)).toEqual(Object.keys(deployed.States));
    expect(ran.States.RequestApproval?.TimeoutSeconds).toBe(APPROVAL_WAIT_SECONDS);
    expect(deployed.States.RequestApproval?.TimeoutSeconds).toBe(APPROVAL_WAIT_SECONDS);
  });
});

async function open(mode: ResponseMode, change: (w: World) => void = () => {}): Promise<LocalEnvironment> {
  const environment = await LocalEnvironment.open({
    stateDir: await tempStateDir(),
    world: world(change),
    config: { ...DEPLOYED, modes: { default: mode, bySeverity: {}, byBucket: {} } },
    aslFile,
  });
  onTestFinished(async () => {
    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    await environment.runner.idle();
    await environment.close();
  });
  return environment;
}

async function deliver(environment: LocalEnvironment, event: unknown): Promise<ExecutionRecord> {
  applyEventToWorld(environment.sandbox, event);
  const record = await environment.runner.start(event);
  await environment.runner.idle();
  return record;
}

describe('the main paths on the synthesized definition', () => {
  it('notify: a public policy is reported', async () => {
    const environment = await open('notify');
    const record = await deliver(environment, sampleEvent('put-bucket-policy-public'));
    expect(record).toMatchObject({ status: 'SUCCEEDED', path: PATHS.reported });
    const [incident] = await environment.store.listIncidents();
    expect(incident).toMatchObject({ status: 'OPEN', response: 'NOTIFIED', mode: 'notify' });
  });

  it('auto: a public policy is remediated', async () => {
    const environment = await open('auto');
    const record = await deliver(environment, sampleEvent('put-bucket-policy-public'));
    expect(record).toMatchObject({ status: 'SUCCEEDED', path: PATHS.remediated });
    const [incident] = await environment.store.listIncidents();
    expect(incident).toMatchObject({ status: 'CLOSED', closedReason: 'REMEDIATED' });
  });

  it('approve: the request waits, the approver approves by the link, the fix follows', async () => {
    const environment = await open('approve');
    const { execution, link } = await startUntilApprovalWaits(
      environment,
      sampleEvent('put-bucket-policy-public'),
    );
    expect((await decideByLink(link, { decision: 'APPROVED', reason: 'synthesized test' })).status).toBe(303);
    const record = await execution;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.path).toContain('RequestApproval');
    expect(record.path).toContain('RemediateExposure');
    expect(record.path.at(-1)).toBe('ResponseComplete');
    const [incident] = await environment.store.listIncidents();
    expect(incident).toMatchObject({ status: 'CLOSED', closedReason: 'REMEDIATED' });
  });

  it('the Macie scan started beside the response runs to ScanRecorded', async () => {
    const environment = await open('notify', (w) => {
      w.services = { macie: 'enabled', securityHub: 'enabled' };
      w.faults = [];
    });
    await deliver(environment, sampleEvent('put-bucket-policy-public'));
    const executions = environment.runner.executions;
    expect(responseExecutions(executions)).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    const scans = executions.filter((e) => e.name.startsWith('macie-'));
    expect(scans).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    expect(scans[0]?.path).toContain('StartMacieScan');
    expect(scans[0]?.path.at(-1)).toBe('ScanRecorded');
  });

  it('a malformed event ends in ReportFailure and a failed execution', async () => {
    const environment = await open('notify');
    const event = JSON.parse(
      readFileSync(new URL('../../events/malformed/missing-bucket.json', import.meta.url), 'utf8'),
    );
    const record = await deliver(environment, event);
    expect(record).toMatchObject({ status: 'FAILED', path: PATHS.malformed });
  });

  it('an event that is not about exposure is ignored', async () => {
    const environment = await open('notify');
    const record = await deliver(environment, sampleEvent('irrelevant-get-object'));
    expect(record).toMatchObject({ status: 'SUCCEEDED', path: PATHS.ignored });
    expect(environment.sandbox.outbox).toEqual([]);
  });
});
