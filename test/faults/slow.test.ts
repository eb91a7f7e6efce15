import { cells } from '../../local/faults/fault-matrix.js';
import { matrixTests } from './matrix.js';

// The cells whose call outlives a shortened task timeout: a second or two each, so on their own.
matrixTests(
  'the fault matrix, calls slower than the task timeout (notify and auto)',
  [...cells('notify'), ...cells('auto')].filter((cell) => cell.harness !== undefined),
);
