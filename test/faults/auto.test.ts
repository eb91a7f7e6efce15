import { cells } from '../../local/faults/fault-matrix.js';
import { matrixTests } from './matrix.js';

matrixTests(
  'the fault matrix, auto mode',
  cells('auto').filter((cell) => cell.harness === undefined),
);
