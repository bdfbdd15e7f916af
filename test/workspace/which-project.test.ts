import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/envctl-error.js';
import { parseWhichProject } from '../../src/workspace/which-project.js';

const existing = ['course-a', 'thesis', 'lab_2'];

describe('parseWhichProject', () => {
  it('reads names, skipping comments (whole line and trailing) and blank lines', () => {
    const text = '# my projects\ncourse-a   # CPU\n\n  thesis\t\n#lab_2\nlab_2#x\n';
    expect(parseWhichProject(text, 'which-project', existing)).toEqual([
      { name: 'course-a', line: 2 },
      { name: 'thesis', line: 4 },
      { name: 'lab_2', line: 6 },
    ]);
  });

  it('names the line and the nearest project for a typo', () => {
    const error = catchError(() => parseWhichProject('thesis\ncorse-a\n', 'which-project', existing));
    expect(error).toBeInstanceOf(InputError);
    expect(error.location).toEqual({ file: 'which-project', line: 2 });
    expect(error.message).toContain('which-project:2');
    expect(error.hint).toContain('Did you mean "course-a"?');
    expect(error.hint).toContain('course-a, thesis, lab_2');
  });

  it('rejects a duplicate, naming both lines', () => {
    const error = catchError(() => parseWhichProject('thesis\n\nthesis\n', 'which-project', existing));
    expect(error.message).toContain('which-project:3');
    expect(error.message).toContain('first on line 1');
  });

  it.each(['Thesis', '-x', 'a b', 'café'])('rejects the invalid name %j', (name) => {
    const error = catchError(() => parseWhichProject(`${name}\n`, 'which-project', existing));
    expect(error.message).toContain('not a valid project name');
    expect(error.location?.line).toBe(1);
  });

  it('accepts an empty file: nothing runs', () => {
    expect(parseWhichProject('# nothing\n\n', 'which-project', existing)).toEqual([]);
  });
});

function catchError(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    return error as InputError;
  }
  throw new Error('expected an error');
}
