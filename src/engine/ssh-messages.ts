import { EngineError } from '../errors/envctl-error.js';

const ASK_ADMIN =
  "Ask the server's administrator for its fingerprint (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server)";

/**
 * The one reader of what OpenSSH prints when it fails: an unknown or changed host key (with its fingerprint,
 * from the `-v` log of the connection), a refused key, an unreachable host.
 */
export function sshFailure(stderr: string, to: { destination: string; port?: number | undefined }): EngineError {
  const host = to.port ? `${to.destination} (port ${to.port})` : to.destination;
  const plain = `ssh${to.port ? ` -p ${to.port}` : ''} ${to.destination}`;
  const offered = /Server host key: (\S+) (SHA256:\S+)/.exec(stderr);
  const keyText = offered ? `${offered[1]} key ${offered[2]}` : 'key';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) {
    const sent =
      /key sent by the remote host is\s*\r?\n?\s*(SHA256:\S+)/.exec(stderr)?.[1] ?? offered?.[2] ?? 'unknown';
    const offending = /Offending \S+ key in (\S+)/.exec(stderr)?.[1];
    return new EngineError(
      `The SSH host key of ${host} has CHANGED: it now offers ${offered ? `${offered[1]} ` : ''}${sent}, not the key your ` +
        `known_hosts${offending ? ` (${offending})` : ''} holds. envctl did not connect.`,
      {
        hint:
          `Someone may be intercepting the connection, or the server was reinstalled. ${ASK_ADMIN}; only if it matches, remove the ` +
          `old entry (ssh-keygen -R ${to.destination.replace(/^.*@/, '')}) and connect once with "${plain}".`,
      },
    );
  }
  if (/Host key verification failed|host key is known for|No \S+ host key is known/.test(stderr)) {
    return new EngineError(
      `The SSH host key of ${host} is not in your known_hosts: the server offers the ${keyText}. envctl never accepts a host key on its own.`,
      {
        hint: `${ASK_ADMIN}; if it matches, connect once with "${plain}" and answer yes, then run envctl again.`,
      },
    );
  }
  if (/Permission denied \(/.test(stderr)) {
    return new EngineError(`SSH to ${host} refused every key offered (${lastLine(stderr)}).`, {
      hint: `Load your key into the agent (ssh-add) or name it in ~/.ssh/config (IdentityFile); "${plain} true" must work without a password prompt.`,
    });
  }
  return new EngineError(`SSH to ${host} failed: ${lastLine(stderr) || 'ssh ended without saying why'}.`, {
    hint: `"${plain} true" should work from this shell; check the host name, the port and the network.`,
  });
}

function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('debug'));
  return lines.at(-1) ?? '';
}
