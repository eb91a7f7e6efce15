/** `npm run bench`: prints throughput and cost figures. Benchmarks report; they never fail a build. */
import '../local/polyfills.js';
import { benchClassify } from './classify.js';
import { benchMacie } from './macie.js';
import { benchSweep } from './sweep.js';
import { benchWorkflow } from './workflow.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
benchClassify();
await benchWorkflow();
await benchSweep();
await benchMacie();
