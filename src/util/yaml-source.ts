import { readFileSync } from 'node:fs';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { InputError, type SourceLocation } from '../errors/envctl-error.js';

export type YamlPath = ReadonlyArray<string | number>;

/** How many times anchors may be copied by aliases in one file before it is taken for an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/** A parsed YAML file that can still tell on which line any of its values stood. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  static read(file: string, displayName = file): YamlSource {
    return YamlSource.parse(readFileSync(file, 'utf8'), displayName);
  }

  static parse(text: string, file: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      customTags: composeTags,
    });
    const problem = doc.errors[0];
    if (problem) {
      // An unclosed quote or bracket is reported at the end of the file: point at the last line written.
      const start = Math.min(problem.pos[0], text.trimEnd().length);
      const { line, col } = lines.linePos(start);
      const firstLine = problem.message.split('\n')[0] ?? problem.message;
      throw new InputError(`${file}:${line}: not valid YAML: ${firstLine}.`, {
        location: { file, line, column: col },
        hint: 'Fix the YAML syntax at that line (indentation, a missing colon, or an unclosed quote are the usual causes).',
      });
    }
    return new YamlSource(file, doc, lines);
  }

  toJS(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null;
    } catch (error) {
      // The parser's own guard against an alias bomb ("billion laughs"): the file is refused, not expanded.
      if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
      let first: Node | undefined;
      visit(this.doc, { Alias: (_key, node) => void (first ??= node) });
      const location = this.locationOf(first);
      throw new InputError(
        `${this.file}:${location.line}: its aliases (*name) expand to too much: more than ${MAX_ALIAS_COUNT} copies of an anchor.`,
        {
          location,
          hint: 'Write the values out, or use fewer aliases of large anchors; Compose files seldom need more than a few.',
        },
      );
    }
  }

  /** Location of the value at `path`, or of its nearest existing ancestor. With `key`, the key's line. */
  locate(path: YamlPath, options: { key?: boolean } = {}): SourceLocation {
    return this.locationOf(findNode(this.doc.contents, path, options.key ?? false));
  }

  locationOf(node: Node | null | undefined): SourceLocation {
    const offset = node?.range?.[0];
    if (offset === undefined) return { file: this.file, line: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

function findNode(root: Node | null, path: YamlPath, wantKey: boolean): Node | null {
  let node: Node | null = root;
  for (const [index, step] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(step),
      );
      if (!pair) return node;
      if (last && wantKey) return pair.key as Node;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) return node;
      node = item;
    } else {
      return node;
    }
  }
  return node;
}

/**
 * The Compose Specification's `!reset` and `!override` tags, so a project's compose.yml can use them.
 * They parse to marker objects that the merge understands.
 */
export class ComposeTagged {
  constructor(
    readonly tag: '!reset' | '!override',
    readonly value: unknown,
  ) {}
}

const composeTags = (['!reset', '!override'] as const).flatMap((tag) =>
  (['map', 'seq', 'scalar'] as const).map((collection) => ({
    tag,
    collection: collection === 'scalar' ? undefined : collection,
    identify: (value: unknown) => value instanceof ComposeTagged && value.tag === tag,
    resolve: (value: unknown) => {
      const plain =
        value && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value;
      return new ComposeTagged(tag, plain);
    },
  })),
) as never;
