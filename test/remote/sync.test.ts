import { describe, expect, it } from 'vitest';
import { conflictCopyPattern, isConflict, parseUnisonItems } from '../../src/remote/sync.js';
import { shellQuote } from '../../src/util/shell-quote.js';

describe("unison's -terse list", () => {
  it('reads what went which way, and a change on both sides as a conflict', () => {
    const output = [
      'dir      ---->            projects/a  ',
      '[BGN] Copying projects/a from /w/projects to //gpu1//srv/projects',
      'changed  ====> changed    projects/a/notes.md  ',
      '         <---- new file   projects/a/out.txt  ',
      'deleted  ---->            projects/a/old.txt  ',
      'Synchronization complete at 16:02:28  (3 items transferred, 0 skipped, 0 failed)',
    ].join('\n');
    const items = parseUnisonItems(output);
    expect(items).toEqual([
      { local: 'dir', direction: '---->', remote: '', path: 'projects/a' },
      { local: 'changed', direction: '====>', remote: 'changed', path: 'projects/a/notes.md' },
      { local: '', direction: '<----', remote: 'new file', path: 'projects/a/out.txt' },
      { local: 'deleted', direction: '---->', remote: '', path: 'projects/a/old.txt' },
    ]);
    expect(items.filter(isConflict).map((item) => item.path)).toEqual(['projects/a/notes.md']);
  });

  it('names the copy of the version moved aside, and quotes paths for the remote shell', () => {
    expect(conflictCopyPattern('projects/a/notes.md')).toBe('projects/a/notes (conflict_on_*).md');
    expect(shellQuote("/srv/it's here")).toBe("'/srv/it'\\''s here'");
  });
});
