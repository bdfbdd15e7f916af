/** A word for a POSIX shell (a remote one, a batch script), whatever it holds. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}
