/** `npm run bench`: prints throughput and size figures. Benchmarks report; they never fail a build. */
import '../local/polyfills.js';
import { benchClassify } from './classify.js';

benchClassify();
