import { readdirSync, readFileSync } from 'node:fs';
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
});
