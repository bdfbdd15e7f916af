/**
 * `envctl exec web ls -la /` as `docker exec` reads it: everything after the target is the command, its own
 * options included. Commander would read `-la` as envctl's; a `--` put after the target stops that, so that
 * the rest of the program still takes envctl's global options before or after the command name.
 */
const PASSING_COMMANDS = new Set(['exec', 'shell']);
/** Options, envctl's or exec's, that take the next word as their value. */
const TAKES_VALUE = new Set(['-w', '--workspace', '--engine']);

export function commandAfterTarget(argv: readonly string[]): string[] {
  const command = firstWord(argv, 0);
  if (command === undefined || !PASSING_COMMANDS.has(argv[command]!)) return [...argv];
  const target = firstWord(argv, command + 1);
  if (target === undefined || target + 1 >= argv.length || argv[target + 1] === '--') return [...argv];
  return [...argv.slice(0, target + 1), '--', ...argv.slice(target + 1)];
}

/** The index of the first word from `start` that is not an option or an option's value. */
function firstWord(argv: readonly string[], start: number): number | undefined {
  for (let index = start; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === '--') return undefined;
    if (!word.startsWith('-')) return index;
    if (TAKES_VALUE.has(word)) index++;
  }
  return undefined;
}
