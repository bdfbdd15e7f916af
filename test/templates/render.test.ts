import { describe, expect, it } from 'vitest';
import { type InputError } from '../../src/errors/envctl-error.js';
import { substitute } from '../../src/templates/expressions.js';
import { renderFragment } from '../../src/templates/render.js';
import { YamlSource } from '../../src/util/yaml-source.js';

const scope = {
  params: { python: '3.11', name: 'x\nprivileged: true', debug: false },
  ports: { jupyter: 8890 },
  project: { name: 'p', dir: '/w/projects/p' },
};

describe('substitute', () => {
  it('keeps the type of a value that is the whole scalar, joins values into text otherwise', () => {
    const at = { file: 't.yml', line: 1 };
    expect(substitute('${{ ports.jupyter }}', scope, at)).toBe(8890);
    expect(substitute('${{params.debug}}', scope, at)).toBe(false);
    expect(substitute('python:${{ params.python }}-slim on ${{ ports.jupyter }}', scope, at)).toBe(
      'python:3.11-slim on 8890',
    );
  });

  it('names the unknown placeholder, its line, and the nearest known one', () => {
    let error: InputError | undefined;
    try {
      substitute('${{ params.pyton }}', scope, { file: 'templates/t/compose.yml', line: 7 });
    } catch (caught) {
      error = caught as InputError;
    }
    expect(error?.message).toBe('templates/t/compose.yml:7: unknown placeholder "${{ params.pyton }}".');
    expect(error?.hint).toContain('Did you mean "params.python"?');
  });
});

describe('renderFragment', () => {
  it('replaces placeholders in keys and values without parsing a value as YAML', () => {
    const source = YamlSource.parse(
      'services:\n  app:\n    image: "python:${{ params.python }}"\n    environment:\n      NAME: ${{ params.name }}\n      PORT: ${{ ports.jupyter ' +
        '}}\n    volumes: ["./data:/data"]\n',
      'compose.yml',
    );
    const rendered = renderFragment(source, scope, '/w/templates/t');
    expect(rendered.services!.app).toEqual({
      image: 'python:3.11',
      environment: { NAME: 'x\nprivileged: true', PORT: 8890 },
      volumes: ['/w/templates/t/data:/data'],
    });
    expect(rendered.services!.app).not.toHaveProperty('privileged');
  });

  it('reports the line of an unknown placeholder in the fragment', () => {
    const source = YamlSource.parse(
      'services:\n  app:\n    image: x\n    command: ${{ project.nam }}\n',
      'templates/t/compose.yml',
    );
    expect(() => renderFragment(source, scope, '/w')).toThrow('templates/t/compose.yml:4: unknown placeholder');
  });
});
