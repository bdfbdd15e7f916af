// Bundles the CLI into dist/bundle/. Starting envctl then reads a handful of files instead of resolving and
// loading several hundred modules, which was most of its start time:
// - main.js, CommonJS and self-contained (src/cli/launcher.ts): `--version` and a no-op `up -d` are answered
//   there, before Node's ES module loader starts;
// - main.mjs and its chunks, ES modules (one per command, loaded on use): the full program.
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
// Chunk names carry content hashes: clear the old ones so that they do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });
const define = { __ENVCTL_BUILD__: JSON.stringify(buildId()), __ENVCTL_VERSION__: JSON.stringify(version) };
const common = { bundle: true, platform: 'node', target: 'node20', define, logLevel: 'warning' };

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  format: 'esm',
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
});
await build({
  ...common,
  entryPoints: ['src/cli/launcher.ts'],
  outfile: 'dist/bundle/main.js',
  format: 'cjs',
});
// The package is "type": "module"; this folder's .js file is the CommonJS launcher.
writeFileSync('dist/bundle/package.json', '{ "type": "commonjs" }\n');
copyFileSync('dist/compose/compose-spec-validator.cjs', 'dist/bundle/compose-spec-validator.cjs');

/**
 * The build's identity, for compose/up-stamp.json (a stamp written by another build is not trusted): a hash
 * of the sources, the bundling script and the locked dependencies.
 */
function buildId() {
  const hash = createHash('sha256');
  const files = (dir) =>
    readdirSync(dir).flatMap((name) =>
      statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)],
    );
  for (const file of [...files('src').sort(), 'package.json', 'package-lock.json', 'scripts/bundle.mjs'])
    hash.update(file).update('\0').update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}
