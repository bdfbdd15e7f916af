import { describe, expect, it } from 'vitest';
import { portTakenIn } from '../../src/execute/apply.js';

describe('portTakenIn', () => {
  it("reads the host port out of the engine's two ways of saying it is taken", () => {
    expect(
      portTakenIn(
        new Error(
          '(HTTP code 500) server error - driver failed programming external connectivity on endpoint x (abc): Bind for 127.0.0.1:8888 failed: port is ' +
            'already allocated',
        ),
      ),
    ).toBe(8888);
    expect(
      portTakenIn(new Error('Error starting userland proxy: listen tcp4 127.0.0.1:9001: bind: address already in use')),
    ).toBe(9001);
    expect(
      portTakenIn(new Error('OCI runtime create failed: exec: "/no/such": no such file or directory')),
    ).toBeUndefined();
  });
});
