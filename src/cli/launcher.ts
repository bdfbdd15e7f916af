#!/usr/bin/env node
// The envctl executable (dist/bundle/main.js, CommonJS): it answers `--version`, and `up -d` with nothing
// changed, before Node's ES module loader and envctl's libraries are loaded; everything else goes on to the
// full program (main.ts, an ES module).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fastUp } from './fast-up.js';

/** Set by scripts/bundle.mjs from package.json. */
declare const __ENVCTL_VERSION__: string;

// A reader that stops early (`envctl ps | head -3`) closes the pipe: stop writing, but finish the work, rather
// than die with a stack trace in the middle of an up. `logs -f` ends itself then (actions/logs.ts).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const argv = process.argv.slice(2);

async function launch(): Promise<void> {
  if (argv.length === 1 && ['--version', '-V'].includes(argv[0]!)) {
    process.stdout.write(`${__ENVCTL_VERSION__}\n`);
    return;
  }
  if (argv.includes('up') && (await fastUp(argv))) return;
  // Only ever run as the CommonJS bundle, where __dirname is the bundle's folder.
  await import(pathToFileURL(join(__dirname, 'main.mjs')).href);
}

void launch();
