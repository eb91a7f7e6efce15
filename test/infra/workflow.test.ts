import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVAL_TIMEOUT_MARGIN_SECONDS,
  placeholdersIn,
  readDefinition,
  withApprovalTimeout,
} from '../../infra/asl.js';
import { APPROVAL_TIMEOUT_MARGIN_SECONDS as LOCAL_MARGIN } from '../../local/runner.js';
import { ofType, type Synthesized, synthesize } from './support.js';

type Validator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const validate = createRequire(import.meta.url)('asl-validator') as Validator;

interface DeployedDefinition {
  readonly text: string;
  readonly substitutions: Record<string, unknown>;
}

/** The state machine's definition string and substitutions, as the template holds them. */
function deployedDefinition(synth: Synthesized): DeployedDefinition {
  const machines = Object.values(ofType(synth.resources, 'AWS::StepFunctions::StateMachine'));
  expect(machines).toHaveLength(1);
  const props = machines[0]?.Properties ?? {};
  expect(typeof props.DefinitionString, 'a plain string, placeholders left to DefinitionSubstitutions').toBe(
    'string',
  );
  return {
    text: String(props.DefinitionString),
    substitutions: props.DefinitionSubstitutions as Record<string, unknown>,
  };
}

/** Every substitution resolved to a stand-in ARN, as the deployed machine would see it. */
function withStandInArns(deployed: DeployedDefinition): unknown {
  const text = deployed.text.replace(/\$\{(\w+)\}/g, (_match, name: string) => {
    const ref = JSON.stringify(deployed.substitutions[name]);
    const id = /"Fn::GetAtt":\["([^"]+)"/.exec(ref)?.[1] ?? name;
    return `arn:aws:lambda:us-east-1:111122223333:function:${id}`;
  });
  return JSON.parse(text);
}

let synth: Synthesized;
let deployed: DeployedDefinition;

beforeAll(() => {
  synth = synthesize();
  deployed = deployedDefinition(synth);
});

describe('the deployed state machine definition', () => {
  it('has exactly one substitution for every placeholder in the ASL, and none without a placeholder', () => {
    const inFile = placeholdersIn(readDefinition().text);
    const inTemplate = [...deployed.text.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]);
    expect(inTemplate.sort(), 'each placeholder appears once').toEqual(inFile);
    expect(Object.keys(deployed.substitutions).sort()).toEqual(inFile);
    for (const [name, value] of Object.entries(deployed.substitutions)) {
      expect(JSON.stringify(value), name).toMatch(/"Fn::GetAtt":\["\w+","Arn"\]/);
    }
  });

  it('is valid ASL once substituted, checked on a clone (asl-validator changes its input)', () => {
    const definition = withStandInArns(deployed);
    const result = validate(structuredClone(definition));
    expect(result.isValid, result.errorsText('\n')).toBe(true);
  });

  it('waits for an approval as long as the configuration says, plus the margin', () => {
    const states = (withStandInArns(deployed) as { States: Record<string, { TimeoutSeconds?: number }> })
      .States;
    expect(states.RequestApproval?.TimeoutSeconds).toBe(
      synth.stack.config.timings.approvalTtlSeconds + APPROVAL_TIMEOUT_MARGIN_SECONDS,
    );
  });

  it('follows a shorter approval TTL from the props', () => {
    const short = synthesize({
      config: {
        ...synth.stack.config,
        timings: { ...synth.stack.config.timings, approvalTtlSeconds: 3_600 },
      },
    });
    const states = (
      withStandInArns(deployedDefinition(short)) as { States: Record<string, { TimeoutSeconds?: number }> }
    ).States;
    expect(states.RequestApproval?.TimeoutSeconds).toBe(3_900);
  });

  it('keeps every other state as the file has it', () => {
    const fileStates = readDefinition().definition.States;
    const states = (withStandInArns(deployed) as { States: Record<string, unknown> }).States;
    expect(Object.keys(states)).toEqual(Object.keys(fileStates));
    for (const [name, state] of Object.entries(fileStates)) {
      if (name === 'RequestApproval') continue;
      const asDeployed = JSON.stringify(states[name]).replace(/arn:aws:lambda:[^"]+/g, 'ARN');
      expect(asDeployed, name).toBe(JSON.stringify(state).replace(/\$\{\w+FunctionArn\}/g, 'ARN'));
    }
  });

  it('uses the same approval margin as the local runner', () => {
    expect(APPROVAL_TIMEOUT_MARGIN_SECONDS).toBe(LOCAL_MARGIN);
  });
});

describe('withApprovalTimeout', () => {
  it('refuses a definition without a task that waits for a token', () => {
    expect(() => withApprovalTimeout({ States: { Done: { Type: 'Succeed' } } }, 100)).toThrow(
      /no \.waitForTaskToken task/,
    );
  });

  it('leaves the definition it was given unchanged', () => {
    const { definition } = readDefinition();
    const before = JSON.stringify(definition);
    withApprovalTimeout(definition, 61);
    expect(JSON.stringify(definition)).toBe(before);
  });
});
