/**
 * What the path analysis (asl-paths.ts) takes as given: what each Task's handler puts in its
 * output, and the few reads proven by something the analysis cannot see. Each entry says where
 * the proof is, so a reviewer can check it against the code; test/workflow/asl-paths.test.ts
 * checks the Task entries against real runs too (every write present, every kept path kept).
 */
import type { TaskContract } from './asl-paths.js';

const KEEPS_ALL: TaskContract = { writes: {}, drops: [] };

/**
 * One entry per Task state. `writes` lists the paths a later read needs that the Task sets on
 * EVERY successful return (a Task may set more); `drops` the paths of its input it may leave out.
 * Every handler but NormalizeEvent returns its input with its changes (`{ ...state, … }`), so a
 * path it does not drop, it keeps.
 */
export const TASK_CONTRACTS: Readonly<Record<string, TaskContract>> = {
  NormalizeEvent: {
    // Its input is the raw event: every return builds a new state from `base`.
    drops: ['$'],
    writes: {
      '$.config':
        'base = { executionId, config: deps.config } on every return: the configuration parsed with its defaults',
      '$.intake': 'every return sets intake.kind (scan, ignore, account or exposure)',
    },
  },
  FanOutAccountChange: { writes: {}, drops: ['$.accountEvent'] },
  StartMacieScan: {
    drops: [],
    writes: {
      '$.scan':
        'every return sets scan: the skip ({ ...scan, next: done }), scanFailed (scan-with-macie/branch.ts) and the started job (next: wait); requireScan throws when there is none',
    },
  },
  CheckMacieScan: {
    drops: [],
    writes: {
      '$.scan':
        'every return sets scan: wait, collect, or scanFailed (next: done); requireScan throws when there is none',
    },
  },
  SummarizeMacieScan: KEEPS_ALL,
  RecordScanFailure: KEEPS_ALL,
  RegisterIncident: {
    drops: [],
    writes: {
      '$.registration':
        'its one return sets registration: role, holder (and supersede when it widens a pending approval)',
    },
  },
  SupersedeApproval: KEEPS_ALL,
  ClassifyExposure: {
    // A new round forgets what the last one found (the `next` state it returns).
    drops: ['$.changeNotVisible', '$.approval', '$.finding', '$.findingError', '$.close', '$.lease'],
    writes: {
      '$.assessment':
        'every classification sets assessment; the hand-over (handover.ts) does not, but it only happens at round >= limits.maxRounds >= 2, so an earlier round of this execution set it, and no task removes it',
    },
  },
  WriteFinding: {
    drops: [],
    writes: { '$.finding': 'its one return sets finding: { findingId, written: true, problem: null }' },
  },
  NotifyRecipients: {
    drops: ['$.findingError'],
    writes: { '$.finding': 'finding: state.finding ?? { findingId, written: false, problem }' },
  },
  MarkFindingNotified: KEEPS_ALL,
  // It keeps assessment (with the closed incident's id) when there is one.
  CloseIncident: KEEPS_ALL,
  ReleaseLease: {
    drops: [],
    writes: { '$.lease': 'its one return sets lease: { outcome }' },
  },
  ReportFailure: {
    drops: [],
    writes: {
      '$.error.Error': 'returns { ...state, error: { Error, Cause } } whatever the input held',
      '$.error.Cause': 'the same return: Cause made a string (ExecutionFailed’s CausePath needs one)',
    },
  },
  SuppressFinding: KEEPS_ALL,
  RequestApproval: {
    drops: [],
    writes: {
      '$.approval':
        'ResultPath $.approval: the SendTaskSuccess output, which every sender builds with outcomeOf (approval-page/deps.ts): the approval page, the Macie system decision and a retried request whose approval was settled',
    },
  },
  RecordRejection: KEEPS_ALL,
  // Sets approval only when a decision was recorded in time: WasItDecidedInTime? tests IsPresent.
  ApprovalExpired: KEEPS_ALL,
  RemediateExposure: {
    drops: [],
    writes: {
      '$.remediation': 'each of its three returns (notPublic, newVectorsOnly, applied) sets remediation',
    },
  },
  VerifyRemediation: {
    drops: [],
    writes: { '$.verification': 'both returns (not verified, verified) set verification' },
  },
};

/**
 * Reads the analysis cannot prove, keyed `state path`, each with why it is safe all the same.
 * The test fails on an entry that is no longer needed, so the list only holds what it must.
 */
export const PROVEN_ELSEWHERE: Readonly<Record<string, string>> = {
  // Both are a Fail state's CausePath on a Catch's error output. AWS documents that output as
  // { Error, Cause }, and the local engine always sets both; WorkflowStateSchema keeps Cause
  // optional (ErrorInfoSchema), so the analysis cannot show it. Were Cause ever missing, the
  // state would still end the execution FAILED (as States.Runtime rather than the real error),
  // and the failed-executions alarm would see it all the same: no run goes silent here.
  'ScanNotRecorded $.error.Cause':
    'RecordScanFailure’s Catch writes $.error, the error output of the failed scan task: Error and Cause',
  'FailureNotReported $.reportError.Cause':
    'ReportFailure’s Catch writes $.reportError, the error output of the failed report: Error and Cause',
};
