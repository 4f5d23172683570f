import { describe, expect, it } from 'vitest';
import { formatReliabilityCounts } from '../helpers/reliabilityReporter.ts';

describe('the reliability summary', () => {
  it('sums each counter over every test that counted, saying what it counted', () => {
    const text = formatReliabilityCounts([
      { counter: 'cancellations', n: 1, what: 'CLI runs' },
      { counter: 'cancellations', n: 1, what: 'CLI runs' },
      { counter: 'cancellations', n: 1, what: 'main steps' },
      { counter: 'leakChecks', n: 3, what: 'runs' },
      { counter: 'containersLeaked', n: 0, what: 'containers' },
      { counter: 'configsFuzzed', n: 6500, what: 'configs' },
      { counter: 'configsRejected', n: 5000, what: 'configs' },
      { counter: 'hostileInputs', n: 400, what: 'strings' },
      { counter: 'hostileInputs', n: 12, what: 'bad configs' },
      { counter: 'faultsInjected', n: 2, what: 'full disks' },
      { counter: 'faultsInjected', n: 1, what: 'engines that hung mid-run' },
      { counter: 'filesIntact', n: 3, what: 'files' },
      { counter: 'filesIntact', n: 1, what: 'files' },
    ]);
    expect(text.split('\n')).toEqual([
      'reliability (counted from the tests that ran):',
      '  cancellations tried   3 (2 CLI runs, 1 main steps)',
      '  containers leaked     0, in 3 runs the engine was asked about',
      '  configs fuzzed        6500 (5000 rejected, each with a path)',
      '  hostile inputs tried  412 (400 strings, 12 bad configs)',
      '  faults injected       3 (2 full disks, 1 engines that hung mid-run)',
      '  files checked intact  4, byte for byte after a write over them failed or was refused',
    ]);
  });

  it('shouts when a container leaked', () => {
    const text = formatReliabilityCounts([{ counter: 'containersLeaked', n: 2, what: 'containers' }]);
    expect(text).toContain('containers leaked     2 (MUST BE 0)');
  });
});
