import { cells } from '../../local/faults/fault-matrix.js';
import { matrixTests } from './matrix.js';

matrixTests(
  'the fault matrix, notify mode',
  cells('notify').filter((cell) => cell.harness === undefined),
);
