// Writes the README's table of Compose keys from the key table (src/compose/service-keys.ts), between its
// markers; test/compose/service-keys.test.ts fails when the README and the table disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEY_TABLE_END, KEY_TABLE_START, keyTableMarkdown } from '../dist/compose/key-table-doc.js';

const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const text = readFileSync(readme, 'utf8');
const start = text.indexOf(KEY_TABLE_START);
const end = text.indexOf(KEY_TABLE_END);
if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${KEY_TABLE_START} ... ${KEY_TABLE_END}`);
const table = `${KEY_TABLE_START}\n${keyTableMarkdown()}\n${KEY_TABLE_END}`;
writeFileSync(readme, text.slice(0, start) + table + text.slice(end + KEY_TABLE_END.length));
