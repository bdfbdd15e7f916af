import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeSchemaProblems } from '../../src/compose/schema.js';
import { dockerComposeAvailable, dockerComposeConfig } from '../support/docker-compose.js';
import { envctl, makeWorkspace, removeWorkspace, REPO } from '../support/workspace.js';

const TEMPLATES = readdirSync(join(REPO, 'templates'));
const hasCompose = await dockerComposeAvailable();

describe('built-in templates', () => {
  it('are the four the product promises, each documented', () => {
    expect(TEMPLATES.sort()).toEqual(['conda', 'jupyter', 'python', 'pytorch']);
    for (const name of TEMPLATES)
      expect(readFileSync(join(REPO, 'templates', name, 'README.md'), 'utf8')).toContain(`# ${name}`);
  });

  it.each(TEMPLATES)('%s renders with its defaults into a valid compose file', async (name) => {
    const root = makeWorkspace({ 'which-project': 'demo\n', 'projects/demo/envctl.yml': `template: ${name}\n` });
    try {
      const result = await envctl(root, ['render']);
      expect(result.exitCode, result.stderr).toBe(0);
      const merged = parse(readFileSync(join(root, 'compose', 'docker-compose.yml'), 'utf8'));
      expect(composeSchemaProblems(merged)).toEqual([]);
      const service = Object.values<any>(merged.services)[0];
      expect(service.volumes).toContain(`${join(root, 'projects', 'demo')}:/work`);
      expect(service.build.context).toBe(join(root, 'projects', 'demo'));
      if (hasCompose) {
        const check = await dockerComposeConfig(join(root, 'compose'), 'docker-compose.yml');
        expect(check.exitCode, check.stderr).toBe(0);
      }
    } finally {
      removeWorkspace(root);
    }
  });

  it.each(TEMPLATES)(
    '%s runs as the user who runs envctl, as root with run_as: root, as compose.yml says if it says',
    async (name) => {
      const uid = process.getuid?.() ?? 0;
      const gid = process.getgid?.() ?? 0;
      const root = makeWorkspace({
        'which-project': 'mine\nasroot\nown\n',
        'projects/mine/envctl.yml': `template: ${name}\n`,
        'projects/asroot/envctl.yml': `template: ${name}\nparams:\n  run_as: root\n`,
        'projects/own/envctl.yml': `template: ${name}\n`,
      });
      try {
        const first = await envctl(root, ['render']);
        expect(first.exitCode, first.stderr).toBe(0);
        const service = (project: string) => {
          const merged = parse(readFileSync(join(root, 'compose', 'docker-compose.yml'), 'utf8'));
          return Object.entries<any>(merged.services).find(([key]) => key.startsWith(`${project}-`))![1];
        };
        expect(service('mine').user).toBe(`${uid}:${gid}`);
        expect(service('mine').build.args).toMatchObject({ ENVCTL_UID: String(uid), ENVCTL_GID: String(gid) });
        expect(service('asroot').user).toBe('0:0');
        expect(service('asroot').build.args).toMatchObject({ ENVCTL_UID: '0', ENVCTL_GID: '0' });
        const serviceName = Object.keys(
          parse(readFileSync(join(REPO, 'templates', name, 'compose.yml'), 'utf8')).services,
        )[0];
        writeFileSync(join(root, 'projects', 'own', 'compose.yml'), `services:\n  ${serviceName}:\n    user: "1234"\n`);
        const second = await envctl(root, ['render']);
        expect(second.exitCode, second.stderr).toBe(0);
        expect(service('own').user).toBe('1234');
      } finally {
        removeWorkspace(root);
      }
    },
  );
});

describe('the jupyter template front ends', () => {
  it.each([
    ['lab', 'jupyterlab', '/lab'],
    ['notebook', 'notebook', '/tree'],
  ])('app=%s installs %s when the base lacks it, and its URL is %s', async (app, pkg, path) => {
    const root = makeWorkspace({
      'which-project': 'demo\n',
      'projects/demo/envctl.yml': `template: jupyter\nparams: { app: ${app} }\n`,
    });
    try {
      const result = await envctl(root, ['render', '--json']);
      expect(result.exitCode, result.stderr).toBe(0);
      const [project] = JSON.parse(result.stdout).projects ?? JSON.parse(result.stdout);
      expect(project.ports[0].url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+${path}\\?token=`));
      const merged = parse(readFileSync(join(root, 'compose', 'docker-compose.yml'), 'utf8'));
      const service = Object.values<any>(merged.services)[0];
      expect(service.build.args).toMatchObject({ JUPYTER_APP: app, JUPYTER_PACKAGE: pkg });
      expect(service.command.slice(0, 2)).toEqual(['jupyter', app]);
    } finally {
      removeWorkspace(root);
    }
  });

  it("refuses a template whose means: does not cover its parameter's choices, naming the line", async () => {
    const root = makeWorkspace({
      'which-project': 'demo\n',
      'projects/demo/envctl.yml': 'template: mine\n',
      'templates/mine/template.yml':
        'description: d\nparams:\n  app:\n    default: lab\n    description: d\n    choices: [lab, notebook]\n' +
        '    means:\n      lab: { path: lab }\n',
      'templates/mine/compose.yml': 'services:\n  web:\n    image: busybox\n',
    });
    try {
      const result = await envctl(root, ['render']);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(
        /template\.yml:7: means: has the choices lab, and the parameter's choices are lab, notebook/,
      );
    } finally {
      removeWorkspace(root);
    }
  });
});
