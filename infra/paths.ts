import { fileURLToPath } from 'node:url';

/** The project's root folder (where package.json and package-lock.json are), whatever the working directory. */
export const PROJECT_ROOT: string = fileURLToPath(new URL('..', import.meta.url));

/** An absolute path to a file of the project, from its path relative to the root. */
export function projectFile(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

/** The workflow's definition, with its `${…FunctionArn}` placeholders. */
export const ASL_FILE: string = projectFile('statemachine/exposure-response.asl.json');
