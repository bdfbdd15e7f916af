import { describe, expect, it } from 'vitest';
import { sshFailure } from '../../src/engine/ssh-messages.js';

const to = { destination: 'ada@gpu1', port: 2222 };

describe("what OpenSSH's failures become", () => {
  it('an unknown host key: the fingerprint offered, and how to accept it after checking', () => {
    const stderr = [
      'debug1: Server host key: ssh-ed25519 SHA256:orDDk05+qoIGmD16sRvsh/bvjP2RCg+4KsW+e0UtFx8',
      'No ED25519 host key is known for [gpu1]:2222 and you have requested strict checking.',
      'Host key verification failed.',
    ].join('\n');
    const error = sshFailure(stderr, to);
    expect(error.message).toBe(
      'The SSH host key of ada@gpu1 (port 2222) is not in your known_hosts: the server offers the ssh-ed25519 key ' +
        'SHA256:orDDk05+qoIGmD16sRvsh/bvjP2RCg+4KsW+e0UtFx8. envctl never accepts a host key on its own.',
    );
    expect(error.hint).toContain('connect once with "ssh -p 2222 ada@gpu1"');
    expect(error.exitCode).toBe(3);
  });

  it('a changed host key: the new fingerprint and the known_hosts line it contradicts', () => {
    const stderr = [
      '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
      '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      'The fingerprint for the ED25519 key sent by the remote host is',
      'SHA256:newnewnew.',
      'Offending ED25519 key in /home/ada/.ssh/known_hosts:7',
      'Host key verification failed.',
    ].join('\n');
    const error = sshFailure(stderr, to);
    expect(error.message).toContain('has CHANGED: it now offers SHA256:newnewnew.');
    expect(error.message).toContain('(/home/ada/.ssh/known_hosts:7)');
    expect(error.hint).toContain('ssh-keygen -R gpu1');
  });

  it('a refused key and an unreachable host say what ssh said', () => {
    expect(sshFailure('ada@gpu1: Permission denied (publickey).', to).message).toContain('refused every key offered');
    expect(sshFailure('ssh: Could not resolve hostname gpu1: Name or service not known', to).message).toBe(
      'SSH to ada@gpu1 (port 2222) failed: ssh: Could not resolve hostname gpu1: Name or service not known.',
    );
  });
});
