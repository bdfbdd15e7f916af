/** Who runs envctl: the user the templates' user services run as. */
export interface HostUser {
  uid: number;
  gid: number;
}

/** The user running envctl (root where the platform has no uids). */
export function currentHostUser(): HostUser {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}
