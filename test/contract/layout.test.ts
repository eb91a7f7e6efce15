/**
 * The import rules of the layout (DESIGN section 7): Lambda code never reaches into the local
 * tools, shared code never into a task, no task into another task's handler, and the sandbox's
 * own evaluator of "public" never into the responder's classifier.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../local/paths.js';

const ROOT = projectRoot();

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each relative import of a file, as a path from the project root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    relative(ROOT, resolve(dirname(join(ROOT, file)), m[1] ?? '')),
  );
}

function violations(files: string[], forbidden: (target: string, file: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter((t) => forbidden(t, file))
      .map((t) => `${file} -> ${t}`),
  );
}

describe('the layout', () => {
  it('keeps Lambda code (tasks/) free of the local tools (local/)', () => {
    expect(violations(sourceFiles('tasks'), (t) => t.startsWith('local/'))).toEqual([]);
  });

  it('keeps tasks/shared free of every task folder', () => {
    expect(
      violations(
        sourceFiles('tasks/shared'),
        (t) => t.startsWith('tasks/') && !t.startsWith('tasks/shared/'),
      ),
    ).toEqual([]);
  });

  it("lets no task import another task's handler", () => {
    const taskOf = (path: string) => path.split('/')[1];
    expect(
      violations(sourceFiles('tasks'), (t, file) => t.endsWith('/handler.js') && taskOf(t) !== taskOf(file)),
    ).toEqual([]);
  });

  it("keeps the sandbox's evaluator of public access free of the responder's code", () => {
    expect(violations(['local/sandbox/public-evaluator.ts'], (t) => t.startsWith('tasks/'))).toEqual([]);
  });
});
