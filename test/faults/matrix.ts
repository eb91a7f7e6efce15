/**
 * The fault matrix as tests: each cell runs the real workflow with one fault injected at the
 * sandbox's SDK layer and must keep the SOC's rule (local/faults/fault-matrix.ts). The cells are
 * split over a few files so vitest runs them side by side.
 */
import { describe, expect, it } from 'vitest';
import { type Cell, runCell } from '../../local/faults/fault-matrix.js';

export function matrixTests(title: string, cells: readonly Cell[]): void {
  const named = cells.map((cell) => ({
    name: `${cell.mode} ${cell.operation ? `${cell.operation.service}:${cell.operation.operation}` : 'the account'}: ${cell.kind}`,
    cell,
  }));
  describe(title, () => {
    it.each(named)(
      '$name: the SOC sees it, the operators hear of it, nothing lost or changed unsafely',
      async ({ cell }) => {
        const verdict = await runCell(cell);

        expect(verdict.problems, verdict.endState).toEqual([]);
      },
    );
  });
}
