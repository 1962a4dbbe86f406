// The rooms of lib/, in order: a module may import its own room and the rooms listed before it,
// never one listed after it (no arrow runs back up), and there is no circle of imports anywhere in
// lib/, actions/ and scripts/. Rooms on one line (an array) sit side by side and do not import each
// other. `npm run lint` runs this check (depcruise) after ESLint.
const ROOMS = [
  ['base', '^lib/(errors|limited|config)\\.ts$'],
  ['model', '^lib/model/'],
  [['conditions', '^lib/conditions/'], ['events', '^lib/events/']],
  ['core', '^lib/core/'],
  ['store', '^lib/store/'],
  ['openwhisk', '^lib/openwhisk/'],
  [['streaming', '^lib/runtimes/streaming/'], ['native', '^lib/runtimes/native/']],
  // The self-report API of user actions, one for both runtimes: it picks the runtime's transport.
  ['report', '^lib/report/'],
  // Starting, following and viewing runs of either runtime.
  ['runs', '^lib/runs/'],
  ['deploy', '^lib/deploy/'],
  ['dashboard', '^lib/dashboard/'],
  ['cli', '^lib/cli/'],
];

// The local platform stands apart: an OpenWhisk-compatible server users may run without whiskflow's
// orchestrator. It takes only the base room and the store's CouchDB helpers (ESLint names which);
// only the CLI (`whiskflow local`) and the entry points start it.
const PLATFORM = '^lib/platform/';
const PLATFORM_MAY_IMPORT = ['^lib/(errors|limited|config)\\.ts$', '^lib/store/', PLATFORM, '^schemas/'];

const levels = ROOMS.map((level) => (Array.isArray(level[0]) ? level : [level]));
const either = (patterns) => `(${patterns.join('|')})`;

const roomRules = levels.flatMap((level, index) => {
  const above = levels.slice(index + 1).flat().map(([, pattern]) => pattern);
  return level.flatMap(([name, pattern]) => {
    const rules = [];
    if (above.length > 0) {
      rules.push({
        name: `${name}-imports-no-higher-room`,
        comment: `lib room '${name}' may import only the rooms below it (.dependency-cruiser.js ROOMS)`,
        severity: 'error',
        from: { path: pattern },
        to: { path: either(above) },
      });
    }
    const beside = level.filter(([other]) => other !== name).map(([, other]) => other);
    if (beside.length > 0) {
      rules.push({
        name: `${name}-imports-no-sibling-room`,
        comment: `lib room '${name}' sits beside ${level.filter(([other]) => other !== name).map(([other]) => other).join(', ')}: neither imports the other`,
        severity: 'error',
        from: { path: pattern },
        to: { path: either(beside) },
      });
    }
    rules.push({
      name: `${name}-imports-no-platform`,
      comment: 'only the CLI (whiskflow local) and the entry points start the local platform',
      severity: 'error',
      from: { path: pattern, pathNot: '^lib/cli/' },
      to: { path: PLATFORM },
    });
    return rules;
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a circle of imports has no bottom: split the shared part into a module both import',
      severity: 'error',
      from: { path: '^(lib|actions|scripts)/' },
      to: { circular: true },
    },
    ...roomRules,
    {
      name: 'platform-stands-apart',
      comment: 'lib/platform never imports the engine, runtimes, store clients, deploy, report, runs, dashboard or CLI',
      severity: 'error',
      from: { path: PLATFORM },
      to: { path: '^(lib|actions|scripts)/', pathNot: either(PLATFORM_MAY_IMPORT) },
    },
    {
      name: 'lib-imports-no-entry-point',
      comment: 'actions/ and scripts/ are entry points: lib/ never imports them',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(actions|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The browser bundle has its own tsconfig and its own ESLint border (eslint.config.js).
    exclude: { path: '^(dist|node_modules|lib/dashboard/browser)/' },
    includeOnly: '^(lib|actions|scripts|schemas)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
