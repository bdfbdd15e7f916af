// Bundles the CLI into dist/bundle/ (one file per command, loaded on use): starting envctl then reads a
// handful of files instead of resolving and loading several hundred modules, which was most of its start time.
import { copyFileSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ssh2 loads native code when it can; it stays a package of its own, loaded only for ssh:// engines.
  external: ['ssh2', 'cpu-features'],
  // Bundled CommonJS packages use require, __filename and __dirname; ESM has none, so give the bundle them.
  banner: {
    js: [
      "import { createRequire as __envctlCreateRequire } from 'node:module';",
      "import { fileURLToPath as __envctlFileURLToPath } from 'node:url';",
      "import { dirname as __envctlDirname } from 'node:path';",
      'const require = __envctlCreateRequire(import.meta.url);',
      'const __filename = __envctlFileURLToPath(import.meta.url);',
      'const __dirname = __envctlDirname(__filename);',
    ].join(' '),
  },
  logLevel: 'warning',
});
copyFileSync('dist/compose/compose-spec-validator.cjs', 'dist/bundle/compose-spec-validator.cjs');
