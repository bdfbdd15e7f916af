/** The options every command takes. */
export interface GlobalOptions {
  workspace?: string;
  /** --engine: the Docker Engine for this command (an address or a Docker context). */
  engine?: string;
}
