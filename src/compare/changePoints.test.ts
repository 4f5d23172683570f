import { describe, expect, it } from 'vitest';
import { bestSplit, changePoints, divisive, tTest } from './changePoints.ts';

// Series and expected change points published in the tests of Apache Otava (formerly Hunter,
// tests/change_point_divisive_test.py, tests/analysis_test.py,
// tests/tigerbeetle_test.py) and of MongoDB's signal-processing-algorithms
// (tests/test_e_divisive.py): the same inputs must give the same change points here.

const OTAVA_SEQUENCE = [
  0.3, 2.4, 1.5, -0.9, -0.5, 99.7, 98.3, 99.1, 149.0, 149.7, 149.5, 149.1, 148.8, 150.0,
];

const HUNTER_SINGLE = [
  1.02, 0.95, 0.99, 1.0, 1.12, 1.0, 1.01, 0.98, 1.01, 0.96, 0.5, 0.51, 0.48, 0.48, 0.55, 0.5, 0.49, 0.51, 0.5,
  0.49,
];

// Nyrkiö's Tigerbeetle demo series, as Otava's tests/tigerbeetle_test.py ships it
const TIGERBEETLE = [
  26705, 26475, 26641, 26806, 26835, 26911, 26564, 26812, 26874, 26682, 15672, 26745, 26460, 26977, 26851,
  23412, 23547, 23674, 23519, 23670, 23662, 23462, 23750, 23717, 23524, 23588, 23687, 23793, 23937, 23715,
  23570, 23730, 23690, 23699, 23670, 23860, 23988, 23652, 23681, 23798, 23728, 23604, 23523, 23412, 23685,
  23773, 23771, 23718, 23409, 23739, 23674, 23597, 23682, 23680, 23711, 23660, 23990, 23938, 23742, 23703,
  23536, 24363, 24414, 24483, 24509, 24944, 24235, 24560, 24236, 24667, 24730, 28346, 28437, 28436, 28057,
  28217, 28456, 28427, 28398, 28250, 28331, 28222, 28726, 28578, 28345, 28274, 28514, 28590, 28449, 28305,
  28411, 28788, 28404, 28821, 28580, 27483, 26805, 27487, 27124, 26898, 27295, 26951, 27312, 27660, 27154,
  27050, 26989, 27193, 27503, 27326, 27375, 27513, 27057, 27421, 27574, 27609, 27123, 27824, 27644, 27394,
  27836, 27949, 27702, 27457, 27272, 28207, 27802, 27516, 27586, 28005, 27768, 28543, 28237, 27915, 28437,
  28342, 27733, 28296, 28524, 28687, 28258, 28611, 29360, 28590, 29641, 28965, 29474, 29256, 28611, 28205,
  28539, 27962, 28398, 28509, 28240, 28592, 28102, 28461, 28578, 28669, 28507, 28535, 28226, 28536, 28561,
  28087, 27953, 28398, 28007, 28518, 28337, 28242, 28607, 28545, 28514, 28377, 28010, 28412, 28633, 28576,
  28195, 28637, 28724, 28466, 28287, 28719, 28425, 28860, 28842, 28604, 28327, 28216, 28946, 28918, 29287,
  28725, 29148, 29541, 29137, 29628, 29087, 28612, 29154, 29108, 28884, 29234, 28695, 28969, 28809, 28695,
  28634, 28916, 29852, 29389, 29757, 29531, 29363, 29251, 29552, 29561, 29046, 29795, 29022, 29395, 28921,
  29739, 29257, 29455, 29376, 29528, 28909, 29492, 28984, 29621, 29026, 29457, 29102, 29114, 28924, 29162,
  29259, 29554, 29616, 29211, 29367, 29460, 28836, 29645, 29586, 28848, 29324, 28969, 29150, 29243, 29081,
  29312, 28923, 29272, 29117, 29072, 29529, 29737, 29652, 29612, 29856, 29012, 30402, 29969, 29309, 29439,
  29285, 29421, 29023, 28772, 29692, 29416, 29267, 29542, 29904, 30045, 29739, 29945, 29141, 29163, 29765,
  29197, 29441, 28910, 29504, 29614, 29643, 29506, 29420, 29672, 29432, 29784, 29888, 29309, 29247, 29816,
  29254, 29813, 29451, 29382, 29618, 28558, 29845, 29499, 29283, 29184, 29246, 28790, 29952, 29145, 29415,
  30437, 29227, 29605, 29859, 29156, 29807, 29406, 29734, 29861, 29140, 29983, 29832, 29919, 29896, 29991,
  29266, 29001, 29459, 29548, 29310, 29042, 29303, 29894, 29091, 29018, 29537, 29614, 29180, 29736, 29500,
  29218, 29581, 28906, 28542, 29306, 28987, 29878, 28865, 30272, 29707, 29662, 29815, 30492, 29347, 30096,
  29054, 30238, 28813, 31895, 28915,
];

/** Otava's slow reference of the E-divisive statistic, written out again from its test. */
function slowBest(sequence: readonly number[]): { index: number; qhat: number } {
  const n = sequence.length;
  let best = { index: -1, qhat: 0 };
  for (let tau = 1; tau < n; tau++) {
    for (let kappa = tau + 1; kappa <= n; kappa++) {
      const x = sequence.slice(0, tau);
      const y = sequence.slice(tau, kappa);
      let a = 0;
      for (const xi of x) for (const yj of y) a += Math.abs(xi - yj);
      a *= 2 / (x.length + y.length);
      let b = 0;
      for (let i = 0; i < x.length; i++)
        for (let k = i + 1; k < x.length; k++) b += Math.abs((x[i] as number) - (x[k] as number));
      b *= x.length > 1 ? (2 * y.length) / (x.length + y.length) / (x.length - 1) : 0;
      let c = 0;
      for (let j = 0; j < y.length; j++)
        for (let k = j + 1; k < y.length; k++) c += Math.abs((y[j] as number) - (y[k] as number));
      c *= y.length > 1 ? (2 * x.length) / (x.length + y.length) / (y.length - 1) : 0;
      if (a - b - c > best.qhat) best = { index: tau, qhat: a - b - c };
    }
  }
  return best;
}

describe('E-divisive means', () => {
  it('finds the candidate Otava’s slow reference finds', () => {
    const fast = bestSplit(OTAVA_SEQUENCE, 0, OTAVA_SEQUENCE.length);
    const slow = slowBest(OTAVA_SEQUENCE);
    expect(fast?.index).toBe(slow.index);
    expect(fast?.qhat).toBeCloseTo(slow.qhat, 9);
  });

  it('splits Otava’s published sequence at 5 and 8 (t test, p 0.01)', () => {
    expect(divisive(OTAVA_SEQUENCE, 0.01).map((c) => c.index)).toEqual([5, 8]);
  });

  it('finds Hunter’s single change at 10, in windows of 10 at p 0.0001, and more when the series goes on', () => {
    expect(changePoints(HUNTER_SINGLE, { windowLength: 10, maxPValue: 0.0001 }).map((c) => c.index)).toEqual([
      10,
    ]);
    const longer = [...HUNTER_SINGLE, 0.47, 0.48, 0.45, 0.01, 0.1, 0.22, 0.27];
    expect(changePoints(longer, { windowLength: 5, maxPValue: 0.0001 }).map((c) => c.index)).toEqual([
      10, 23,
    ]);
  });

  it('gives Otava’s published change points of the Tigerbeetle series (windows of 30)', () => {
    const cases: [number, number, number[]][] = [
      [0.01, 0.05, [15, 71]],
      [0.05, 0.05, [15, 71]],
      [0.1, 0.05, [10, 11, 15, 71, 363]],
      [0.2, 0.05, [10, 11, 15, 71]],
      [
        0.1,
        0,
        [
          3, 6, 10, 11, 15, 16, 28, 29, 35, 37, 39, 41, 44, 48, 49, 61, 71, 95, 117, 131, 142, 148, 165, 169,
          192, 206, 212, 260, 265, 268, 278, 282, 288, 305, 363,
        ],
      ],
      [0.01, 0, [15, 26, 61, 71, 95, 117, 131, 142, 148, 165, 169, 192, 212, 260]],
      [0.001, 0, [15, 61, 71, 95, 117, 131, 142, 148, 192, 212, 260]],
      [0.0001, 0, [71, 95, 117, 131, 142, 148, 192, 212]],
    ];
    for (const [maxPValue, minMagnitude, expected] of cases) {
      const found = changePoints(TIGERBEETLE, { windowLength: 30, maxPValue, minMagnitude });
      expect(
        found.map((c) => c.index),
        `p ${maxPValue}, magnitude ${minMagnitude}`,
      ).toEqual(expected);
    }
  });

  it('puts MongoDB’s step series at the step, for every length', () => {
    for (let cp = 4; cp < 40; cp++) {
      const series = [...Array(cp).fill(0), ...Array(cp).fill(1)];
      expect(changePoints(series).map((c) => c.index)).toEqual([cp]);
    }
  });

  it('finds nothing in noise, and nothing in too short or constant series', () => {
    expect(changePoints([1.0, 1.02, 1.05, 0.95, 0.98, 1.0, 1.02, 1.05, 0.95, 0.98])).toEqual([]);
    expect(changePoints([5, 5, 5, 5, 5, 5])).toEqual([]);
    expect(changePoints([1, 2])).toEqual([]);
    expect(changePoints([])).toEqual([]);
  });
});

describe('the t test of two sides', () => {
  it('matches Otava’s significance tester on its published cases', () => {
    // Otava: no change, p ≈ 1; a step from 1 to 0.8, p < 0.001
    expect(tTest([1.0, 1.02, 1.05, 0.95, 0.98], [1.0, 1.02, 1.05, 0.95, 0.98]).pValue).toBeCloseTo(1, 6);
    const step = tTest([1.0, 1.02, 1.05, 0.95, 0.98], [0.8, 0.82, 0.85, 0.79, 0.77]);
    expect(step.pValue).toBeGreaterThan(0);
    expect(step.pValue).toBeLessThan(0.001);
    expect(tTest([1], [2])).toMatchObject({ pValue: 1 });
    expect(tTest([1, 1], [2, 2]).pValue).toBe(0);
  });
});
