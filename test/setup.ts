// Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions needs; Node 22 (Lambda) has it.
import '../local/polyfills.js';
