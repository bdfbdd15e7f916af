/** Where a user's browser reaches a port published on `bind`. */
export function displayAddress(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::') return 'localhost';
  return bind.includes(':') ? `[${bind}]` : bind;
}
