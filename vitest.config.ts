import { defineConfig } from 'vitest/config';

// Unit tests (pure logic, beside the code) run in parallel; integration and end-to-end tests
// drive the real engine, k6 and Toxiproxy, so they run one file at a time on a 2-core machine,
// and only after the unit tests: a measured load must not share the cores with unit workers.
export default defineConfig({
  test: {
    // after vitest's own summary, the reliability tests' counts (issue 9), once for the whole run
    reporters: ['default', './test/helpers/reliabilityReporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/**/*.int.test.ts', 'test/**/*.e2e.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
