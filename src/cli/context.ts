/** The options every command takes. */
export interface GlobalOptions {
  workspace?: string;
}
