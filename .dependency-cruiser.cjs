// The floors of src/ and what each may import: docs/architecture.md says why. `npm run lint` (and so
// `npm test`) fails on an import cycle or an import against these floors. To change a floor, change
// it here and in docs/architecture.md together.

/** Each folder (or top file) of src/ and the others it may import; anything of ours not listed is forbidden. */
const MAY_IMPORT = {
  'errors.ts': [],
  queue: ['errors.ts'],
  redact: ['errors.ts'],
  process: ['errors.ts', 'redact'],
  store: ['errors.ts', 'queue', 'redact', 'process'],
  agents: ['errors.ts', 'queue', 'redact', 'process'],
  git: ['errors.ts', 'queue', 'redact', 'process', 'store'],
  report: ['errors.ts', 'queue', 'redact', 'process', 'store', 'agents', 'git'],
  view: ['errors.ts', 'queue', 'redact', 'process', 'store', 'agents', 'report'],
  events: ['errors.ts', 'queue', 'redact', 'process', 'store', 'report'],
  worker: ['errors.ts', 'queue', 'redact', 'process', 'store', 'agents', 'git', 'report'],
  loops: ['errors.ts', 'queue', 'redact', 'process', 'store', 'agents', 'git', 'report', 'events'],
  config: ['errors.ts', 'queue', 'redact', 'process', 'store', 'agents'],
  orchestrator: ['errors.ts', 'queue', 'redact', 'process', 'store', 'agents', 'git', 'report', 'view', 'events', 'worker', 'config'],
  dashboard: ['errors.ts', 'queue', 'redact', 'process', 'store', 'agents', 'git', 'report', 'view', 'events', 'worker', 'config', 'orchestrator', 'loops'],
  doctor: ['errors.ts', 'queue', 'redact', 'process', 'store', 'agents', 'git', 'report', 'loops', 'config'],
};

const escape = (name) => name.replace(/\./g, '\\.');
const under = (name) => (name.endsWith('.ts') ? `^src/${escape(name)}$` : `^src/${name}/`);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle (type-only imports count too): split the shared part into a file both can import.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'worker-and-loops-apart',
      comment: 'worker/ and loops/ never import each other: what both need lives a floor below (process/, agents/, store/).',
      severity: 'error',
      from: { path: '^src/(worker|loops)/' },
      to: { path: '^src/(worker|loops)/', pathNot: '^src/$1/' },
    },
    ...Object.entries(MAY_IMPORT).map(([floor, allowed]) => ({
      name: `floor-${floor.replace(/\.ts$/, '')}`,
      comment: `src/${floor} may import only ${allowed.length > 0 ? allowed.join(', ') : 'nothing of ours'} (docs/architecture.md)`,
      severity: 'error',
      from: { path: under(floor) },
      to: { path: '^src/', pathNot: [under(floor), ...allowed.map(under)] },
    })),
    {
      name: 'cli-on-top',
      comment: 'Nothing below src/cli/ imports it (src/index.ts, the API, neither).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
