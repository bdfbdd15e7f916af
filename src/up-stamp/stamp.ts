import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineSnapshot } from '../engine/engine-snapshot.js';
import { contains, parseCidr } from '../util/cidr.js';
import { readHostRoutes, routeLine } from '../allocation/network/host-routes.js';
import { fileSignature, signaturesOf, treePaths } from './file-signature.js';

/**
 * compose/up-stamp.json: what the last whole, successful `up` saw, so that the next `up -d` with nothing
 * changed can say so without loading, rendering and planning again. It holds the signature of every file
 * that render read, of every file envctl wrote under compose/, the host's routes, and the engine's answer
 * after the apply.
 * Any difference, or any doubt, sends `up` down its full path, which is always right.
 */
export interface UpStamp {
  format: typeof STAMP_FORMAT;
  /** The envctl build that wrote it: another build may render differently. */
  build: string;
  root: string;
  engineSocket: string;
  /** Who ran the up: another user's up renders their own uid into the environments (run_as: user). */
  uid: number;
  /** pip's mirror variables in the environment of the up (util/mirror-env.ts): builds take them. */
  mirrorEnv: string;
  /** The user's files that render read (or looked for): path → signature. */
  inputs: Record<string, string>;
  /** The files under compose/ as the up left them. */
  outputs: Record<string, string>;
  /** The host's IPv4 routes, every table, as hostRoutes() hashes them: render keeps subnets off them. */
  routes: string;
  imageReferences: string[];
  engine: EngineSnapshot;
  /** What the full path printed: its warnings and the summary table, without and with colour. */
  warnings: string[];
  summaryText: { plain: string; colored: string };
}

export const STAMP_FILE = 'up-stamp.json';
const STAMP_FORMAT = 1;
/** proper-lockfile's lock folder and write-file-atomic's temporary files come and go under compose/. */
const TRANSIENT = /^\.envctl\.lock|\.\d+$/;

/**
 * The host's IPv4 routes and addresses in every routing table (a VPN's policy table too), as the subnet
 * allocator reads them, less those inside Docker's networks, which other workspaces make and remove all the
 * time: what the allocator avoids besides the engine's networks. Hashed.
 */
export function hostRoutes(engineSubnets: readonly string[]): string {
  const docker = engineSubnets.map(parseCidr);
  const lines = readHostRoutes()
    .filter((route) => !docker.some((block) => contains(block, route.cidr)))
    .map(routeLine);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

export function readStamp(composeDir: string): UpStamp | undefined {
  try {
    const stamp = JSON.parse(readFileSync(join(composeDir, STAMP_FILE), 'utf8')) as UpStamp;
    return stamp.format === STAMP_FORMAT ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/** Signatures of everything under compose/ but the stamp itself and the lock's passing files. */
export function outputSignatures(composeDir: string): Record<string, string> {
  return signaturesOf(treePaths(composeDir, (name) => name === STAMP_FILE || TRANSIENT.test(name)));
}

/**
 * Pure but for the inputs' stat calls: why the stamp no longer describes the files, or undefined when it
 * does. Cheap, so it runs before the engine is asked anything.
 */
export function filesDifference(
  stamp: UpStamp,
  now: {
    build: string | undefined;
    engineSocket: string | undefined;
    uid: number;
    mirrorEnv: string;
    outputs: Record<string, string>;
  },
  inputSignature: (path: string) => string = fileSignature,
): string | undefined {
  if (now.build === undefined || now.build !== stamp.build) return 'another envctl build wrote the stamp';
  if (now.engineSocket !== stamp.engineSocket) return 'another engine';
  if (now.uid !== stamp.uid) return 'another user';
  if (now.mirrorEnv !== stamp.mirrorEnv) return "pip's mirror variables (PIP_INDEX_URL...) changed";
  const input = Object.keys(stamp.inputs).find((path) => inputSignature(path) !== stamp.inputs[path]);
  if (input) return `${input} changed`;
  const output = differingKey(stamp.outputs, now.outputs);
  return output ? `${output} changed` : undefined;
}

/** Pure: what differs between the engine (and the host's routes) the stamp saw and now, or undefined. */
export function engineDifference(stamp: UpStamp, now: EngineSnapshot, routes: string): string | undefined {
  const part = (['containers', 'networks', 'volumes', 'images'] as const).find(
    (key) => !sameLines(stamp.engine[key], now[key]),
  );
  if (part) return `the engine's ${part} changed`;
  return routes === stamp.routes ? undefined : "the host's routes changed";
}

function differingKey(before: Record<string, string>, after: Record<string, string>): string | undefined {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].find((key) => before[key] !== after[key]);
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, index) => line === b[index]);
}
