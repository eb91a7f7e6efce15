import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { InvalidInputError } from '../tasks/shared/errors.js';

/** Reads a file, or standard input for "-". */
export async function readInput(file: string): Promise<string> {
  if (file === '-') return text(process.stdin);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** Parses JSON text, naming the input when it is not JSON. */
export function parseJson(textValue: string, what: string): unknown {
  try {
    return JSON.parse(textValue);
  } catch (error) {
    throw new InvalidInputError(`${what} is not JSON: ${(error as Error).message}`);
  }
}
