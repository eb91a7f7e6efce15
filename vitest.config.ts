import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// The call ledger of this run (local/call-ledger.ts): every test process notes there which AWS
// calls each function's code sent, and the IAM check, which runs after every other test file,
// reads it. One folder per run, so two runs never mix. Vitest evaluates this file more than once
// in a run (the root, then each project): the first evaluation makes the folder, the others take
// it from the process, so every project writes and reads the same one.
const run = globalThis as { s3ExposureCallLedger?: string };
run.s3ExposureCallLedger ??= mkdtempSync(join(tmpdir(), 's3-exposure-call-ledger-'));
const callLedger = run.s3ExposureCallLedger;

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    testTimeout: 30_000,
    // A whole-stack synth in a beforeAll takes seconds, more on a busy two-core CI machine.
    hookTimeout: 60_000,
    env: {
      // The SDK warns on Node 20 that releases after January 2027 need Node 22: noise in tests.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1',
      CALL_LEDGER_DIR: callLedger,
    },
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/iam/**'] },
      },
      {
        // Reads what the whole suite sent, so it runs after it (a later group).
        extends: true,
        test: { name: 'iam', include: ['test/iam/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
