// Bundles the CLI into dist/ so the `s3-exposure` bin runs on plain Node, with no TypeScript loader.
import { build } from 'esbuild';

await build({
  entryPoints: ['local/cli.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
