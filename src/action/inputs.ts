/** The action's input and output names, once: action.yml and the README table follow these. */
export const Inputs = {
  config: 'config',
  out: 'out',
  set: 'set',
  mode: 'mode',
  token: 'token',
  comment: 'comment',
  failOnRegression: 'fail-on-regression',
  jobKey: 'job-key',
  commentAuthor: 'comment-author',
  artifactName: 'artifact-name',
  runId: 'run-id',
  paired: 'paired',
  pairedRate: 'paired-rate',
  baseline: 'baseline',
  segment: 'segment',
  startAt: 'start-at',
  parts: 'parts',
  segments: 'segments',
} as const;

/** What the action is for in a workflow; see README "Workflows". */
export const MODES = ['pr', 'nightly', 'release', 'comment-from-artifact'] as const;
export type Mode = (typeof MODES)[number];

export const Outputs = {
  verdict: 'verdict',
  summary: 'summary',
  resultPath: 'result-path',
  reportPath: 'report-path',
  breaches: 'breaches',
  regressions: 'regressions',
  improvements: 'improvements',
  inconclusive: 'inconclusive',
  comment: 'comment',
  commentUrl: 'comment-url',
  baseline: 'baseline',
} as const;
