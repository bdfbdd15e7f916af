import { readFileSync } from 'node:fs';

// The full program; launcher.ts, the executable, hands over to it.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
await (await import('./program.js')).run(version);
