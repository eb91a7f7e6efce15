import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../local/runner.js';
import { PROVEN_ELSEWHERE, TASK_CONTRACTS } from './asl-contracts.js';
import { analysePaths, type Definition, readKey } from './asl-paths.js';

type Validator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const validate = createRequire(import.meta.url)('asl-validator') as Validator;

const text = readFileSync(new URL('../../statemachine/exposure-response.asl.json', import.meta.url), 'utf8');
const raw = JSON.parse(text) as {
  Comment?: string;
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
};
const states = Object.entries(raw.States);

/**
 * Tasks whose failure must not stop the response: the alert never waits on Security Hub, and
 * containment never waits on email or a finding update.
 */
const GOES_ON_PAST_FAILURE: Record<string, { resultPath: string; next: string }> = {
  WriteFinding: { resultPath: '$.findingError', next: 'NotifyRecipients' },
  NotifyRecipients: { resultPath: '$.notifyError', next: 'WasTheFindingWritten?' },
  MarkFindingNotified: { resultPath: '$.markError', next: 'WhichResponseMode?' },
};

/** The Macie scan's own branch (an execution NotifyRecipients starts): its failures end it there. */
const SCAN_BRANCH = ['StartMacieScan', 'CheckMacieScan', 'SummarizeMacieScan', 'RecordScanFailure'];

describe('statemachine/exposure-response.asl.json', () => {
  it('is valid ASL once substituted, checked on a clone (asl-validator changes its input)', () => {
    const result = validate(structuredClone(loadDefinition('us-east-1', '111122223333')));
    expect(result.isValid, result.errorsText('\n')).toBe(true);
  });

  it('would be caught by the validator if a transition pointed nowhere', () => {
    const broken = structuredClone(loadDefinition('us-east-1', '111122223333'));
    const states = broken.States as Record<string, { Next?: string }>;
    if (states.RegisterIncident) states.RegisterIncident.Next = 'NoSuchState';
    expect(validate(broken).isValid).toBe(false);
  });

  it('is JSONPath only: no JSONata, no Assign, no variables (the local engine ignores them silently)', () => {
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"/);
    expect(text).not.toMatch(/"Assign"\s*:/);
    expect(text).not.toMatch(/\{%/);
    expect(text).not.toMatch(/"Arguments"\s*:|"Output"\s*:/);
  });

  it('substitutes only ARNs and names', () => {
    const placeholders = [...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    expect(placeholders.length).toBeGreaterThan(0);
    for (const name of placeholders) expect(name).toMatch(/(FunctionArn|Arn|Name)$/);
  });

  it('has a Comment on the machine and on every state', () => {
    expect(raw.Comment).toBeTruthy();
    for (const [name, state] of states) expect(state.Comment, name).toBeTruthy();
  });

  it('tests types only with true (the local engine never matches IsNull: false and its kind; use Not)', () => {
    expect(text).not.toMatch(/"Is(Null|Present|Numeric|String|Boolean|Timestamp)"\s*:\s*false/);
  });

  it('names Choices as questions', () => {
    for (const [name, state] of states) if (state.Type === 'Choice') expect(name).toMatch(/\?$/);
  });

  it('retries transient errors on every Task with backoff and full jitter', () => {
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
      const retry = state.Retry as Array<Record<string, unknown>>;
      expect(retry, name).toContainEqual(
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
          JitterStrategy: 'FULL',
          BackoffRate: 2,
        }),
      );
      expect(retry, name).toContainEqual(
        expect.objectContaining({
          ErrorEquals: [
            'AwsTransientError',
            'ConcurrentUpdateError',
            'TaskInProgressError',
            'TaskTimeRunningOutError',
            'TaskRunRecordError',
          ],
        }),
      );
    }
  });

  it('routes every unhandled Task error to ReportFailure, and ReportFailure to a Fail state', () => {
    const sideChannels = Object.keys(GOES_ON_PAST_FAILURE);
    for (const [name, state] of states.filter(
      ([n, s]) =>
        s.Type === 'Task' && n !== 'ReportFailure' && !sideChannels.includes(n) && !SCAN_BRANCH.includes(n),
    )) {
      const catchAll = (state.Catch as Array<{ ErrorEquals: string[]; Next: string }>).at(-1);
      expect(catchAll, name).toEqual(
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'ReportFailure' }),
      );
    }
    expect(raw.States.ReportFailure?.Next).toBe('ExecutionFailed');
    expect(raw.States.ExecutionFailed?.Type).toBe('Fail');
  });

  it('ends a failed Macie scan in RecordScanFailure (the run never fails because of Macie), and that in a Fail state', () => {
    for (const name of SCAN_BRANCH.filter((n) => n !== 'RecordScanFailure')) {
      const catches = raw.States[name]?.Catch as Array<{
        ErrorEquals: string[];
        ResultPath: string;
        Next: string;
      }>;
      expect(catches.at(-1), name).toEqual({
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.error',
        Next: 'RecordScanFailure',
      });
    }
    expect(raw.States.RecordScanFailure?.Next).toBe('ScanRecorded');
    expect((raw.States.RecordScanFailure?.Catch as Array<{ Next: string }> | undefined)?.at(-1)?.Next).toBe(
      'ScanNotRecorded',
    );
    expect(raw.States.ScanNotRecorded?.Type).toBe('Fail');
  });

  it('goes on past a failed finding or alert, keeping the error, and ends in ReportFailure when one failed', () => {
    for (const [name, { resultPath, next }] of Object.entries(GOES_ON_PAST_FAILURE)) {
      const catches = raw.States[name]?.Catch as Array<{
        ErrorEquals: string[];
        ResultPath: string;
        Next: string;
      }>;
      expect(catches.at(-1), name).toEqual({
        ErrorEquals: ['States.ALL'],
        ResultPath: resultPath,
        Next: next,
      });
    }
    const told = JSON.stringify(raw.States['WasEveryoneTold?']);
    expect(told).toContain('$.notifyError');
    expect(told).toContain('$.markError');
    expect(raw.States['DidMoreEventsJoin?']?.Default).toBe('WasEveryoneTold?');
  });

  it('sets a timeout on every Task (the local engine would default to 60 s, AWS to a year)', () => {
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
      expect(state.TimeoutSeconds, name).toEqual(expect.any(Number));
    }
  });

  it('reaches every state from StartAt', () => {
    const reached = new Set<string>();
    const visit = (name: string) => {
      if (reached.has(name)) return;
      reached.add(name);
      const state = raw.States[name] ?? {};
      const next = [
        state.Next,
        state.Default,
        ...((state.Choices as Array<{ Next: string }> | undefined) ?? []).map((c) => c.Next),
        ...((state.Catch as Array<{ Next: string }> | undefined) ?? []).map((c) => c.Next),
      ];
      for (const n of next) if (typeof n === 'string') visit(n);
    };
    visit('NormalizeEvent');
    expect([...reached].sort()).toEqual(Object.keys(raw.States).sort());
  });

  describe('every path a state reads is there on every way in (a missing one is States.Runtime in AWS: no Catch takes it, the run ends before ReportFailure)', () => {
    /** The reads the analysis cannot show safe, by `state path`. */
    const unsafeIn = (definition: Definition) => [
      ...new Set(analysePaths(definition, TASK_CONTRACTS).unsafe.map(readKey)),
    ];
    /** The definition with `change` made to a copy of one state. */
    const changed = (state: string, change: (s: { Choices: Array<Record<string, unknown>> }) => void) => {
      const copy = structuredClone(raw);
      change(copy.States[state] as { Choices: Array<Record<string, unknown>> });
      return copy;
    };

    it('reads no path that some way in may lack, apart from those proven elsewhere (asl-contracts.ts, each with why)', () => {
      const unsafe = unsafeIn(raw);
      expect(unsafe.filter((key) => !(key in PROVEN_ELSEWHERE))).toEqual([]);
      // An entry the analysis no longer needs goes: the list holds only what it cannot prove.
      expect(Object.keys(PROVEN_ELSEWHERE).filter((key) => !unsafe.includes(key))).toEqual([]);
    });

    it('sees every Choice comparison, parameter and path of the definition', () => {
      const { reads } = analysePaths(raw, TASK_CONTRACTS);
      const compared = [...text.matchAll(/"Variable":\s*"([^"]+)",\s*"(\w+)"/g)].filter(
        (m) => m[2] !== 'IsPresent',
      );
      expect(reads.filter((r) => r.where.endsWith('.Variable'))).toHaveLength(compared.length);
      expect(reads.map((r) => r.state)).toEqual(
        expect.arrayContaining([
          'ExecutionFailed',
          'WaitForConsistency',
          'WaitBeforeSuperseding',
          'WaitForScan',
        ]),
      );
    });

    it('has a contract for exactly the Task states', () => {
      const tasks = states.filter(([, s]) => s.Type === 'Task').map(([name]) => name);
      expect(Object.keys(TASK_CONTRACTS).sort()).toEqual(tasks.sort());
    });

    it('would have caught f7454ab: the frozen v1 definition, from before the fix, compares $.finding.written where WriteFinding and NotifyRecipients both failed', () => {
      const v1 = JSON.parse(
        readFileSync(
          new URL('../fixtures/deployments/v1/exposure-response.asl.json', import.meta.url),
          'utf8',
        ),
      ) as Definition;
      expect(unsafeIn(v1)).toContain('WasTheFindingWritten? $.finding.written');
    });

    it('would catch the guard rule taken out again, or moved into the And beside the comparison', () => {
      const withoutGuard = changed('WasTheFindingWritten?', (s) => {
        s.Choices.shift();
      });
      expect(unsafeIn(withoutGuard)).toContain('WasTheFindingWritten? $.finding.written');
      // AWS does not promise to stop at an And's first false member: a guard counts only as a rule of its own.
      const guardInAnd = changed('WasTheFindingWritten?', (s) => {
        s.Choices.shift();
        const and = s.Choices[0]?.And as unknown[] | undefined;
        if (!and) throw new Error('WasTheFindingWritten? has no And rule after its guard');
        and.unshift({ Variable: '$.finding.written', IsPresent: true });
      });
      expect(unsafeIn(guardInAnd)).toContain('WasTheFindingWritten? $.finding.written');
    });

    it('would catch a new way into a Choice that does not carry what it compares', () => {
      const copy = structuredClone(raw);
      const catches = copy.States.CloseIncident?.Catch as Array<Record<string, unknown>>;
      catches.unshift({ ErrorEquals: ['SomeError'], ResultPath: '$.error', Next: 'DidMoreEventsJoin?' });
      expect(unsafeIn(copy)).toContain('DidMoreEventsJoin? $.lease.outcome');
    });
  });
});
