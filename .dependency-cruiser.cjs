// The layers of src/, checked in CI (scripts/test.sh): each layer imports only from the layers
// below it, and the core imports no I/O. The README's Development section draws them.
//   entry   — the command line and the action's steps: parse, call the application, exit
//   app     — the application: a run, paired mode, offline compare, segments and merge, the baseline step
//   io      — capabilities that touch the world: engine and containers, faults, metrics, k6, GitHub,
//             baseline stores, files
//   core    — pure: config schemas, statistics and verdicts, gate, report rendering, result schemas
const ENTRY = '^src/(cli|index|post)\\.ts$|^src/cli/|^src/action/(runAction|runPost)\\.ts$';
const APP =
  '^src/(run|cancel)\\.ts$|^src/compare/(pairedRun|offline)\\.ts$|^src/distributed/(segmentRun|mergeRun|k6OperatorRun)\\.ts$|^src/baseline/step\\.ts$';
const IO =
  '^src/(containers|faults|metrics|load|github|output)/|^src/baseline/(file|gitStore|location|samples|store|build)\\.ts$|^src/compare/slots\\.ts$|^src/config/(read|compose)\\.ts$|^src/distributed/part\\.ts$|^src/deadline\\.ts$|^src/version\\.ts$';
// pure modules kept beside their capability: logic without I/O, used from the core too
const PURE_IN_IO =
  '^src/(faults/(diagnosis|recovery|toxics)|metrics/(presets|exposition|levels|pool|cpuLevels)|load/(plan|summary)|github/(markdown|escape))\\.ts$';
const NODE_IO =
  '^(node:)?(fs|fs/promises|child_process|net|http|https|dgram|readline|zlib|os|worker_threads)$';
const TEST = '\\.test\\.ts$|/testing\\.ts$|/testing/';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: { pathNot: TEST }, to: { circular: true } },
    {
      name: 'core-imports-only-core',
      comment: 'the core is pure: it imports no capability, application or entry module',
      severity: 'error',
      from: { path: '^src/', pathNot: [ENTRY, APP, IO, TEST] },
      to: { path: [ENTRY, APP, IO], pathNot: PURE_IN_IO },
    },
    {
      name: 'core-does-no-io',
      comment: 'the core reads no file, starts no process, opens no socket',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: [ENTRY, APP, IO, TEST, '^src/redact\\.ts$', '^src/baseline/comparability\\.ts$'],
      },
      to: { dependencyTypes: ['core'], path: NODE_IO },
    },
    {
      name: 'io-below-app',
      comment: 'capabilities never call the application or the entry points',
      severity: 'error',
      from: { path: IO, pathNot: TEST },
      to: { path: [ENTRY, APP] },
    },
    {
      name: 'app-below-entry',
      severity: 'error',
      from: { path: APP, pathNot: TEST },
      to: { path: ENTRY },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: TEST },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
