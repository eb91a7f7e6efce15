// Bundles the CLI into dist/ so the `s3-exposure` bin runs on plain Node, with no TypeScript loader.
import { build } from 'esbuild';

await build({
  entryPoints: ['local/cli.ts'],
  outdir: 'dist',
  // Commands load their modules on demand; splitting keeps the SDK out of `classify`'s start-up.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
