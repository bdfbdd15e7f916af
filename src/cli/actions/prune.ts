import { createInterface } from 'node:readline/promises';
import { InputError } from '../../errors/envctl-error.js';
import { connectEngineOf, engineChoiceHere } from '../../pipeline/edges.js';
import { judgedHere, prune, surveyPrune, type PruneSurvey } from '../../pipeline/prune.js';
import { formatBytes } from '../../util/units.js';
import type { GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/**
 * envctl prune: the build cache and the images of projects no which-project lists, on the engine the workspace
 * uses (or the default one, outside a workspace). Says what it will remove and asks first; --yes for scripts.
 */
export async function pruneAction(globals: GlobalOptions, options: { yes?: boolean; json?: boolean }): Promise<void> {
  const choice = engineChoiceHere(globals.workspace, globals.engine);
  if (!options.yes && !process.stdin.isTTY)
    throw new InputError('envctl prune asks before it removes anything, and no terminal is here to answer.', {
      hint: 'Run envctl prune --yes to remove without asking (envctl prune on a terminal shows what would go).',
    });
  const engine = await connectEngineOf(choice);
  const survey = await surveyPrune(engine, judgedHere(choice));
  // With --json, stdout is the JSON alone: what prune says goes to stderr.
  const say = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  say(describeSurvey(survey));
  if (!options.yes && !(await confirmed('Remove them? [y/N] '))) {
    say('Nothing removed.');
    return;
  }
  const removed: string[] = [];
  const freed = await prune(engine, survey, (line) => (removed.push(line), say(line)));
  if (options.json) printJson({ removed, freedBytes: freed });
  else say(`freed ${formatBytes(freed)}`);
}

function describeSurvey({ plan, usage }: PruneSurvey): string {
  const images = plan.images.map(
    (image) => `  image ${image.tags.join(', ') || image.id.slice(0, 19)}: ${image.reason}`,
  );
  const kept = plan.unreadable.map(({ root, reason }) => `  (kept the images of ${root}: ${reason})`);
  const cache = `  the build cache: ${formatBytes(usage.buildCache)}, of it ${formatBytes(usage.cacheMounts)} of package downloads (pip, conda)`;
  return ['envctl prune removes:', ...(images.length ? images : ['  no image']), cache, ...kept].join('\n');
}

async function confirmed(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
