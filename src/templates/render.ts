import { isScalar, visit, type Scalar } from 'yaml';
import type { ComposeFile } from '../compose/compose-types.js';
import { rebasePaths } from '../compose/paths.js';
import type { YamlSource } from '../util/yaml-source.js';
import { hasPlaceholder, substitute, type Scope } from './expressions.js';

/**
 * Renders a compose fragment structurally: the YAML is parsed once, then each scalar (keys included)
 * has its placeholders replaced in place, so no value is ever parsed as YAML again.
 * Relative paths are made absolute against `baseDir`, the fragment's own folder.
 */
export function renderFragment(fragment: YamlSource, scope: Scope, baseDir: string): ComposeFile {
  const doc = fragment.doc.clone();
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (isScalar(node) && typeof node.value === 'string' && hasPlaceholder(node.value)) {
        node.value = substitute(node.value, scope, fragment.locationOf(node));
      }
    },
  });
  const rendered = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as ComposeFile;
  return rebasePaths(rendered, baseDir);
}
