import { relative, resolve } from 'node:path';
import { initWorkspace } from '../../scaffold/init.js';

/** envctl init: a new workspace, then what to do next. */
export function initAction(dir: string): void {
  const created = initWorkspace(dir);
  for (const path of created) process.stdout.write(`created ${relative(process.cwd(), path) || path}\n`);
  const where = relative(process.cwd(), resolve(dir));
  process.stdout.write(
    `\nNext: ${where ? `cd ${where} && ` : ''}envctl new my-course --template jupyter --enable && envctl up -d\n`,
  );
}
