import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { envctl, makeWorkspace, removeWorkspace, snapshot, writeFiles } from '../support/workspace.js';

/** A valid workspace: every case below breaks one file of it. */
const GOOD: Record<string, string> = {
  'which-project': 'course-a\nthesis\n',
  'projects/course-a/envctl.yml': 'template: jupyter\nparams:\n  python: "3.12"\nports:\n  jupyter: 8888\n',
  'projects/thesis/envctl.yml': 'template: pytorch\ngpus: [0]\n',
  'projects/thesis/compose.yml': 'services:\n  db:\n    image: postgres:16\n',
};

interface BadCase {
  name: string;
  files: Record<string, string>;
  where: string;
  says: string;
}

const CASES: BadCase[] = [
  {
    name: 'a typo in which-project',
    files: { 'which-project': 'course-a\ntheis\n' },
    where: 'which-project:2',
    says: 'Did you mean "thesis"?',
  },
  {
    name: 'a duplicate in which-project',
    files: { 'which-project': 'course-a\n# x\ncourse-a\n' },
    where: 'which-project:3',
    says: 'listed twice',
  },
  {
    name: 'an invalid project name',
    files: { 'which-project': 'Course-A\n' },
    where: 'which-project:1',
    says: 'not a valid project name',
  },
  {
    name: 'a project folder with nothing in it',
    files: { 'which-project': 'course-a\nempty\n', 'projects/empty/notes.txt': 'hi' },
    where: 'which-project:2',
    says: 'has neither',
  },
  {
    name: 'an unknown key in envctl.yml',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\ngpu: 1\n' },
    where: 'projects/course-a/envctl.yml:2',
    says: 'unknown key "gpu"',
  },
  {
    name: 'malformed YAML in envctl.yml',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\nparams:\n  python: "3.12\n' },
    where: 'projects/course-a/envctl.yml:3',
    says: 'not valid YAML',
  },
  {
    name: 'a duplicate key in envctl.yml',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\ntemplate: pytorch\n' },
    where: 'projects/course-a/envctl.yml:2',
    says: 'not valid YAML',
  },
  {
    name: 'an unknown template',
    files: { 'projects/course-a/envctl.yml': 'template: jupiter\n' },
    where: 'projects/course-a/envctl.yml:1',
    says: 'Did you mean "jupyter"?',
  },
  {
    name: 'an unknown template parameter',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\nparams:\n  pyton: "3.12"\n' },
    where: 'projects/course-a/envctl.yml:3',
    says: 'Did you mean "python"?',
  },
  {
    name: 'a parameter of the wrong type',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\nparams:\n  python: 3.12\n' },
    where: 'projects/course-a/envctl.yml:3',
    says: 'must be a string',
  },
  {
    name: 'a parameter outside its choices',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\nparams:\n  app: voila\n' },
    where: 'projects/course-a/envctl.yml:3',
    says: 'Choose one of "lab", "notebook"',
  },
  {
    name: 'an unknown port name',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\nports:\n  jupyterlab: 8890\n' },
    where: 'projects/course-a/envctl.yml:3',
    says: 'no port named "jupyterlab"',
  },
  {
    name: 'a port number out of range',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\nports:\n  jupyter: 70000\n' },
    where: 'projects/course-a/envctl.yml:3',
    says: 'ports.jupyter',
  },
  {
    name: 'a GPU request that is not one',
    files: { 'projects/thesis/envctl.yml': 'template: pytorch\ngpus: two\n' },
    where: 'projects/thesis/envctl.yml:2',
    says: 'gpus',
  },
  {
    name: 'a GPU list with a bad id',
    files: { 'projects/thesis/envctl.yml': 'template: pytorch\ngpus: [0, "GPU0"]\n' },
    where: 'projects/thesis/envctl.yml:2',
    says: 'GPU index',
  },
  {
    name: 'an invalid environment variable name',
    files: { 'projects/course-a/envctl.yml': 'template: jupyter\nenv:\n  1BAD: x\n' },
    where: 'projects/course-a/envctl.yml:3',
    says: 'environment variable name',
  },
  {
    name: 'malformed YAML in compose.yml',
    files: { 'projects/thesis/compose.yml': 'services:\n  db:\n   image: x\n  - y\n' },
    where: 'projects/thesis/compose.yml:',
    says: 'not valid YAML',
  },
  {
    name: 'an unknown service key in compose.yml',
    files: { 'projects/thesis/compose.yml': 'services:\n  db:\n    imagee: postgres:16\n' },
    where: 'projects/thesis/compose.yml:3',
    says: '"imagee" is not a Compose key',
  },
  {
    name: 'a port range in compose.yml',
    files: {
      'projects/thesis/compose.yml': 'services:\n  db:\n    image: x\n    ports:\n      - "8000-8010:8000-8010"\n',
    },
    where: 'projects/thesis/compose.yml:5',
    says: 'port ranges',
  },
  {
    name: 'an unknown placeholder in a template',
    files: {
      'projects/course-a/envctl.yml': 'template: mine\n',
      'templates/mine/template.yml': 'description: mine\n',
      'templates/mine/compose.yml': 'services:\n  app:\n    image: busybox\n    command: ${{ params.missing }}\n',
    },
    where: 'templates/mine/compose.yml:4',
    says: 'unknown placeholder',
  },
  {
    name: 'an unknown key in template.yml',
    files: {
      'projects/course-a/envctl.yml': 'template: mine\n',
      'templates/mine/template.yml': 'description: mine\nparameters: {}\n',
      'templates/mine/compose.yml': 'services: {app: {image: busybox}}\n',
    },
    where: 'templates/mine/template.yml:2',
    says: 'unknown key "parameters"',
  },
  {
    name: 'a bad port range in workspace.yml',
    files: { 'workspace.yml': 'ports:\n  range: 9000-8000\n' },
    where: 'workspace.yml',
    says: 'ports.range',
  },
  {
    name: 'an engine address envctl cannot speak in workspace.yml',
    files: { 'workspace.yml': 'ports:\n  range: 29300-29310\nengine: http://gpu1:2375\n' },
    where: 'workspace.yml:3',
    says: 'uses http://, which envctl does not speak',
  },
  {
    name: 'a Docker context that does not exist in workspace.yml',
    files: { 'workspace.yml': 'engine: no-such-context\n' },
    where: 'workspace.yml:1',
    says: 'there is no Docker context named "no-such-context"',
  },
  {
    name: 'an unknown key under remote: in workspace.yml',
    files: { 'workspace.yml': 'remote:\n  root: /srv/ws\n  exclude: [data]\n' },
    where: 'workspace.yml:3',
    says: 'exclude',
  },
  {
    name: 'a swarm registry that is a URL, not host:port',
    files: { 'workspace.yml': 'swarm:\n  registry: http://registry.lab:5000\n' },
    where: 'workspace.yml:2',
    says: 'host:port',
  },
  {
    name: 'params without a template',
    files: {
      'projects/course-a/envctl.yml': 'params:\n  python: "3"\n',
      'projects/course-a/compose.yml': 'services: {a: {image: x}}\n',
    },
    where: 'projects/course-a/envctl.yml:1',
    says: 'needs a template',
  },
  {
    name: 'a Compose key envctl does not apply, in compose.yml',
    files: { 'projects/thesis/compose.yml': 'services:\n  db:\n    image: x\n    container_name: mydb\n' },
    where: 'projects/thesis/compose.yml:4',
    says: '"container_name", which envctl does not apply',
  },
  {
    name: 'a nested Compose key envctl does not apply',
    files: {
      'projects/thesis/compose.yml':
        'services:\n  db:\n    image: x\n    deploy:\n      resources:\n        limits: {memory: 1g}\n      placement:\n        constraints: []\n',
    },
    where: 'projects/thesis/compose.yml:7',
    says: '"deploy.placement"',
  },
  {
    name: 'a Compose key envctl does not apply, in a template',
    files: {
      'projects/course-a/envctl.yml': 'template: mine\n',
      'templates/mine/template.yml': 'description: mine\n',
      'templates/mine/compose.yml': 'services:\n  app:\n    image: busybox\n    profiles: [dev]\n',
    },
    where: 'templates/mine/compose.yml:4',
    says: 'which-project decides what runs',
  },
  {
    name: 'a top-level key envctl does not apply',
    files: { 'projects/thesis/compose.yml': 'services:\n  db:\n    image: x\ninclude:\n  - other.yml\n' },
    where: 'projects/thesis/compose.yml:4',
    says: 'top-level "include" is not applied',
  },
  {
    name: 'a dependency that is not a service of the project',
    files: { 'projects/thesis/compose.yml': 'services:\n  db:\n    image: x\n    depends_on: [cache]\n' },
    where: 'projects/thesis/compose.yml:4',
    says: 'depends on "cache"',
  },
  {
    name: 'a network mode outside the workspace',
    files: { 'projects/thesis/compose.yml': 'services:\n  db:\n    image: x\n    network_mode: "container:other"\n' },
    where: 'projects/thesis/compose.yml:4',
    says: 'network_mode',
  },
  {
    name: 'two projects making the same service name',
    files: {
      'which-project': 'course-a\nthesis\ncourse\n',
      'projects/course/compose.yml': 'services:\n  a-notebook:\n    image: busybox\n',
    },
    where: 'projects/course/compose.yml:2',
    says: 'would both make the service "course-a-notebook"',
  },
  {
    name: 'two projects making the same network name on the engine',
    files: {
      'which-project': 'course-a\nthesis\nlab\nlab_x\n',
      'projects/lab/compose.yml': 'services:\n  app:\n    image: busybox\n    networks: [x]\nnetworks:\n  x: {}\n',
      'projects/lab_x/compose.yml': 'services:\n  a:\n    image: busybox\n  b:\n    image: busybox\n',
    },
    where: 'projects/lab/compose.yml:6',
    says: 'would both make the network "envctl_',
  },
  {
    // A "billion laughs": nine aliases of nine of nine..., which would grow to gigabytes if expanded.
    name: 'a YAML alias bomb',
    files: {
      'projects/thesis/compose.yml': [
        'x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
        ...['b', 'c', 'd', 'e', 'f', 'g', 'h'].map(
          (name, index) => `x-${name}: &${name} [${Array(9).fill(`*${'abcdefg'[index]}`).join(', ')}]`,
        ),
        'services:\n  db:\n    image: postgres:16',
        '',
      ].join('\n'),
    },
    where: 'projects/thesis/compose.yml:2',
    says: 'expand to too much',
  },
  {
    name: 'an env file that does not exist',
    files: { 'projects/thesis/compose.yml': 'services:\n  db:\n    image: x\n    env_file: db.env\n' },
    where: 'projects/thesis/db.env',
    says: 'does not exist',
  },
];

describe('bad input: exit 2, file and line named, a fix given, nothing under compose/ changed', () => {
  it('has at least 15 distinct cases', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBeGreaterThanOrEqual(15);
  });

  it.each(CASES)('$name', async ({ files, where, says }) => {
    const root = makeWorkspace(GOOD);
    try {
      const good = await envctl(root, ['render']);
      expect(good.exitCode, good.stderr).toBe(0);
      const before = snapshot(join(root, 'compose'));
      expect(Object.keys(before)).toContain('docker-compose.yml');

      writeFiles(root, files);
      const result = await envctl(root, ['render']);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: /);
      expect(result.stderr).toContain(where);
      expect(result.stderr).toContain(says);
      expect(result.stderr.trim().split('\n').length, 'a message and a hint').toBeGreaterThanOrEqual(2);
      expect(snapshot(join(root, 'compose'))).toEqual(before);
    } finally {
      removeWorkspace(root);
    }
  });
});

describe('the commands of a workspace on a server, on one that is not', () => {
  it.each(['sync', 'tunnel'])('%s: exit 2, names the engine it runs on and how to name a server', async (command) => {
    const root = makeWorkspace(GOOD);
    try {
      const before = snapshot(root);
      const result = await envctl(root, [command], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain(`envctl ${command} works with a workspace on a server over SSH`);
      expect(result.stderr).toContain('tcp://127.0.0.1:1');
      expect(result.stderr).toContain('engine: ssh://user@host');
      expect(snapshot(root)).toEqual(before);
    } finally {
      removeWorkspace(root);
    }
  });
});
