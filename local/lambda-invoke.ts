/**
 * A task invoked the way Lambda and Step Functions invoke it, so a local run is never more
 * forgiving than AWS: the payload and the result cross as JSON (no Dates, no undefined, no class
 * instances survive), each within Step Functions' 256 KB limit on a state's data, and a thrown
 * error leaves as Lambda serializes it, `{ errorType, errorMessage }`, with `errorType` the name
 * the state machine matches.
 */

/** Step Functions' limit on a state's input and output, in bytes of UTF-8 JSON. */
export const STATE_DATA_LIMIT_BYTES = 256 * 1024;

/** A state's data over the limit: Step Functions fails the state with this name. */
export class StateDataLimitError extends Error {
  override name = 'States.DataLimitExceeded';
}

/** A function error, as the Lambda runtime serializes it. */
export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
}

/** `value` as it arrives on the other side of a JSON boundary, refused when over the limit. */
export function overTheWire(value: unknown, what: string): unknown {
  const text = JSON.stringify(value ?? null);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > STATE_DATA_LIMIT_BYTES) {
    throw new StateDataLimitError(`${what} is ${bytes} bytes, over the ${STATE_DATA_LIMIT_BYTES}-byte limit`);
  }
  return JSON.parse(text);
}

/** What Lambda makes of a thrown value. */
export function lambdaError(error: unknown): LambdaError {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message };
  return { errorType: 'Error', errorMessage: String(error) };
}

export type Invocation =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: LambdaError };

/** Invokes `fn` with `payload` as Lambda would, and answers as Lambda does. */
export async function invokeAsLambda(
  fn: (payload: unknown) => Promise<unknown>,
  payload: unknown,
  what = 'the task',
): Promise<Invocation> {
  try {
    const input = overTheWire(payload, `the input of ${what}`);
    return { ok: true, result: overTheWire(await fn(input), `the output of ${what}`) };
  } catch (error) {
    return { ok: false, error: lambdaError(error) };
  }
}

/**
 * The error a state machine sees for a failed invocation: `Error` is the errorType, and `Cause`
 * the JSON text of the serialized error, as Step Functions passes a Lambda error on.
 */
export function asStateError({ errorType, errorMessage }: LambdaError): Error {
  const cause = JSON.stringify({ errorType, errorMessage, trace: [] });
  const error = new Error(cause, { cause });
  error.name = errorType;
  return error;
}
