/** What an allocation gave a key (a host port, a subnet, a GPU), kept in state.json to stay sticky. */
export interface Grant<V> {
  key: string;
  value: V;
  signature: string;
  /** Why it is not the value preferred (a port: "8888 is in use by another process"), said by envctl ports. */
  note?: string;
}
