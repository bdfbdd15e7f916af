/**
 * The architecture's written form (see CONTRIBUTING.md): the pipeline's layers, lowest first. A module may
 * import its own folder and any folder of a lower layer, never one of its own layer or above; and no cycle,
 * between files or folders. `npm run lint:deps` checks it; CI fails on any violation.
 */
const LAYERS = [
  ['errors'], // the one error family, with user messages and exit codes
  ['util'], // pure helpers: YAML with source lines, suggestions, CIDR arithmetic, units
  ['model'], // labels and the types every stage shares
  ['compose'], // the Compose format: types, schema, key table, short-syntax parsers
  ['engine', 'state'], // the edges: the Engine API adapter, the state files under compose/
  ['templates'], // load, part 1: template definitions, parameters, expressions
  ['workspace'], // load, part 2: which-project, envctl.yml, compose.yml, settings
  ['allocation'], // allocate: one core, with ports/, network/, gpu/ and their probes
  ['render'], // template + project + grants → one fragment
  ['merge'], // fragments → one namespaced, checked compose model
  ['reconcile'], // desired state + observed state → every decision (pure)
  ['execute'], // carries a plan out through the engine, decides nothing
  ['inputs', 'scaffold', 'share', 'remote'], // the files a result depends on; new workspaces and projects; export files; sync and forwards to a server
  ['up-stamp', 'watch'], // the no-op up's record; watching files and the engine
  ['pipeline'], // the commands' work, stage after stage
  ['cli'], // commander wiring, printing, exit codes
];

const folder = (name) => `^src/${name}/`;
const above = (index) => LAYERS.slice(index).flat();

const layerRules = LAYERS.flatMap((layer, index) =>
  layer.map((name) => ({
    name: `layer-${name}`,
    comment: `src/${name}/ may import only its own folder and lower layers (${LAYERS.slice(0, index).flat().join(', ') || 'none'})`,
    severity: 'error',
    from: { path: folder(name) },
    to: {
      path: `^src/(${above(index)
        .filter((other) => other !== name)
        .join('|')})/`,
    },
  })),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle between modules hides which way the pipeline flows.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports is dead code (the entry points excepted).',
      severity: 'error',
      from: { orphan: true, path: '^src/', pathNot: ['^src/cli/(main|launcher)\\.ts$', '\\.d\\.ts$'] },
      to: {},
    },
    {
      name: 'not-to-test',
      comment: 'Product code never imports tests.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unknown-folder',
      comment: 'Every folder of src/ has a place in LAYERS (add a new one there, and to CONTRIBUTING.md).',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${LAYERS.flat().join('|')})/` },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: {
      dot: { collapsePattern: '^src/[^/]+' },
    },
  },
};
