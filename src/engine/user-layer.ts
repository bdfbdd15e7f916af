/**
 * What envctl adds to the end of a template's Dockerfile for a service that runs as the user who runs envctl
 * (the template's user_services): a user with the uid and gid of the build arguments ENVCTL_UID and ENVCTL_GID
 * (added only where the image has none of that number) and a writable home, then USER. Written with grep, echo
 * and chown alone, so that it works on Debian, Alpine and busybox images alike. It is part of the build hash.
 */
export const USER_LAYER = `
# Added by envctl: run as the user who runs envctl, so files written in /work stay theirs.
ARG ENVCTL_UID=0
ARG ENVCTL_GID=0
USER 0
RUN if ! grep -q "^[^:]*:[^:]*:\${ENVCTL_GID}:" /etc/group; then echo "envctl:x:\${ENVCTL_GID}:" >> /etc/group; fi \\
 && if ! grep -q "^[^:]*:[^:]*:\${ENVCTL_UID}:" /etc/passwd; then \\
      echo "envctl:x:\${ENVCTL_UID}:\${ENVCTL_GID}:envctl:/home/envctl:/bin/sh" >> /etc/passwd; fi \\
 && mkdir -p /home/envctl && chown "\${ENVCTL_UID}:\${ENVCTL_GID}" /home/envctl
ENV HOME=/home/envctl
USER \${ENVCTL_UID}:\${ENVCTL_GID}
`;

/** The Dockerfile a build is sent: the file's own text, with the user layer after it when asked for. */
export function dockerfileText(text: string, userLayer: boolean | undefined): string {
  return userLayer ? `${text.trimEnd()}\n${USER_LAYER}` : text;
}
