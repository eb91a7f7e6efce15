import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyExposure } from '../../tasks/classify-exposure/classify.js';
import { BucketAccessSnapshotSchema } from '../../tasks/shared/contracts.js';
import { parseOrThrow } from '../../tasks/shared/validation.js';
import { describeVerdict } from '../format.js';
import { projectPath } from '../paths.js';

/**
 * The demo on the embedded default: for now it classifies the sample snapshots and explains
 * each verdict; the workflow issue turns it into the full playbook story.
 */
export async function runDemo(write: (text: string) => void): Promise<void> {
  const folder = projectPath('samples', 'snapshots');
  const files = (await readdir(folder)).filter((f) => f.endsWith('.json')).sort();
  write(`S3 Exposure Responder: classifying ${files.length} sample buckets (samples/snapshots/)\n`);
  for (const file of files) {
    const raw: unknown = JSON.parse(await readFile(join(folder, file), 'utf8'));
    const verdict = classifyExposure(parseOrThrow(BucketAccessSnapshotSchema, raw, file));
    write(`\n${describeVerdict(verdict)}\n`);
  }
  write(
    '\nNext: npx s3-exposure classify --snapshot samples/snapshots/object-acl-public.json  (the full JSON verdict)\n',
  );
}
