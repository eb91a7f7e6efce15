/**
 * The fault matrix in notify mode: every operation the workflow calls, failing each way it can,
 * injected at the sandbox's SDK layer. Every cell must keep the SOC's rule (local/faults/).
 */
import { describe, expect, it } from 'vitest';
import { cells, runCell } from '../../local/faults/fault-matrix.js';

const named = cells('notify').map((cell) => ({
  name: `${cell.operation ? `${cell.operation.service}:${cell.operation.operation}` : 'the account'}: ${cell.kind}`,
  cell,
}));

describe('the fault matrix, notify mode', () => {
  it.each(named)(
    '$name: the SOC sees it, the operators hear of it, nothing lost or changed unsafely',
    async ({ cell }) => {
      const verdict = await runCell(cell);

      expect(verdict.problems, verdict.endState).toEqual([]);
    },
  );
});
