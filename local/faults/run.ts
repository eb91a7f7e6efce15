/**
 * `npm run faults`: runs the whole fault matrix (notify and auto) and prints it as Markdown,
 * with a count of the cells that broke the rule. Exit 1 when any did.
 */
import '../polyfills.js';
import { cells, formatMatrix, runCell, type Verdict } from './fault-matrix.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = '1';
const started = Date.now();
const verdicts: Verdict[] = [];
for (const mode of ['notify', 'auto'] as const) {
  for (const cell of cells(mode)) verdicts.push(await runCell(cell));
}
const broken = verdicts.filter((v) => v.problems.length > 0);
process.stdout.write(`${formatMatrix(verdicts)}\n\n`);
process.stdout.write(
  `${verdicts.length} cells, ${verdicts.length - broken.length} kept the rule, ${broken.length} broke it (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
);
process.exitCode = broken.length > 0 ? 1 : 0;
