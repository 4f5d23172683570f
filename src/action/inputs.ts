/** The action's input and output names, once: action.yml and the README table follow these. */
export const Inputs = {
  config: 'config',
  out: 'out',
  set: 'set',
} as const;

export const Outputs = {
  verdict: 'verdict',
  summary: 'summary',
  resultPath: 'result-path',
  reportPath: 'report-path',
  breaches: 'breaches',
} as const;
