import { describe, expect, it } from 'vitest';
import {
  BuildSteps,
  hasActiveEndpoints,
  networkCreateFailure,
  portTakenIn,
  pullFailureOf,
  startFailure,
} from '../../src/engine/engine-messages.js';
import {
  ImageMissingError,
  NoGpuRuntimeError,
  PortTakenError,
  registryOf,
  SubnetTakenError,
} from '../../src/engine/engine-errors.js';

// The engine's words, as dockerd 20.10 says them (recorded from the e2e runs).
const PORT_ALLOCATED =
  '(HTTP code 500) server error - driver failed programming external connectivity on endpoint x (abc): ' +
  'Bind for 127.0.0.1:8888 failed: port is already allocated';
const PORT_IN_USE = 'Error starting userland proxy: listen tcp4 127.0.0.1:9001: bind: address already in use';
const NO_NVIDIA = '(HTTP code 500) server error - could not select device driver "nvidia" with capabilities: [[gpu]]';
const POOL_OVERLAPS = '(HTTP code 403) unexpected - Pool overlaps with other one on this address space';

describe("the adapter's reading of the engine's messages", () => {
  it("reads the host port out of the engine's two ways of saying it is taken", () => {
    expect(portTakenIn(new Error(PORT_ALLOCATED))).toBe(8888);
    expect(portTakenIn(new Error(PORT_IN_USE))).toBe(9001);
    expect(portTakenIn(new Error('OCI runtime create failed: exec: "/no/such": no such file'))).toBeUndefined();
  });

  it('turns start failures into typed errors, and leaves any other as it was', () => {
    expect(startFailure(new Error(PORT_ALLOCATED))).toMatchObject({ port: 8888 });
    expect(startFailure(new Error(PORT_IN_USE))).toBeInstanceOf(PortTakenError);
    expect(startFailure(new Error(NO_NVIDIA))).toBeInstanceOf(NoGpuRuntimeError);
    const other = new Error('OCI runtime create failed');
    expect(startFailure(other)).toBe(other);
  });

  it('names the subnet that another network took, only when one was asked for', () => {
    const taken = networkCreateFailure(new Error(POOL_OVERLAPS), '10.213.0.0/24');
    expect(taken).toBeInstanceOf(SubnetTakenError);
    expect(taken).toMatchObject({ subnet: '10.213.0.0/24' });
    const without = new Error(POOL_OVERLAPS);
    expect(networkCreateFailure(without, undefined)).toBe(without);
  });

  it('tells a network that still has endpoints', () => {
    expect(hasActiveEndpoints(new Error('error while removing network: network x id 7bf6 has active endpoints'))).toBe(
      true,
    );
    expect(hasActiveEndpoints(new Error('network x not found'))).toBe(false);
  });
});

describe('a failed pull, as the engine words it', () => {
  // The first two recorded from the e2e tests (first-run, inspect) on dockerd 20.10; the others as dockerd writes them.
  it.each([
    [
      'manifest for 127.0.0.1:5000/envctl-test/layers:no-such-tag not found: manifest unknown: manifest unknown',
      'unknown-image',
    ],
    ['Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused', 'unreachable'],
    [
      'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: no such host',
      'unreachable',
    ],
    [
      "pull access denied for nosuch/image, repository does not exist or may require 'docker login': denied",
      'unknown-image',
    ],
    ['Head "https://ghcr.io/v2/lab/private/manifests/1": unauthorized', 'unauthorized'],
    ['write /var/lib/docker/tmp/GetImageBlob1234: no space left on device', 'disk-full'],
    ['something else entirely', 'other'],
  ])('%s is %s', (message, failure) => {
    expect(pullFailureOf(message)).toBe(failure);
  });

  it('names the registry of the image, and what to do, in the error', () => {
    expect(registryOf('python:3.11-slim')).toBe('Docker Hub (docker.io)');
    expect(registryOf('localhost/x:1')).toBe('localhost');
    expect(registryOf('ghcr.io/lab/private:1')).toBe('ghcr.io');
    const error = new ImageMissingError('ghcr.io/lab/private:1', new Error('unauthorized'), 'unauthorized');
    expect(error.message).toBe('Could not pull image ghcr.io/lab/private:1: unauthorized.');
    expect(error.hint).toContain('docker login ghcr.io');
    expect(error.exitCode).toBe(3);
  });
});

describe('BuildSteps: the base image a classic build pulls', () => {
  it('names the FROM step running now, its build arguments filled in, and nothing once another step began', () => {
    const steps = new BuildSteps({ OTHER: 'x' });
    steps.read('Step 1/3 : ARG BASE_IMAGE=python:3.11-slim');
    expect(steps.pullingBase).toBeUndefined();
    steps.read('Step 2/3 : FROM ${BASE_IMAGE} AS base');
    expect(steps.pullingBase).toBe('python:3.11-slim');
    steps.read(' ---> Running in 1234');
    expect(steps.pullingBase).toBe('python:3.11-slim');
    steps.read('Step 3/3 : RUN true');
    expect(steps.pullingBase).toBeUndefined();
    const given = new BuildSteps({ BASE_IMAGE: 'reg:5000/py:1' });
    given.read('Step 1/2 : ARG BASE_IMAGE=python:3.11-slim');
    given.read('Step 2/2 : FROM $BASE_IMAGE');
    expect(given.pullingBase).toBe('reg:5000/py:1');
  });
});
