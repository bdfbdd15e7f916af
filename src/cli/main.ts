#!/usr/bin/env node
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

// Scripts ask for the version in loops: answer it before loading the command definitions and their libraries.
if (process.argv.length === 3 && ['--version', '-V'].includes(process.argv[2]!)) {
  process.stdout.write(`${version}\n`);
} else {
  await (await import('./program.js')).run(version);
}
