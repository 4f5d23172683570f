import { LADDER_ENV, type LadderPlan } from '../../k6-scripts/contract.ts';
import { ConfigError } from '../errors.ts';
import { renderUserScriptWrapper } from '../load/plan.ts';
import { k6Segment } from './segments.ts';

/**
 * A distributed run on Kubernetes with k6-operator: a ConfigMap holding the ladder script, its
 * contract and the plan (and a user's script), and a TestRun that runs it on `parallelism`
 * runners. k6-operator gives runner i the execution segment (i−1)/N:i/N (as `loadgate run
 * --segment i/N` does) and starts them together. Every runner writes its part (manifest, k6
 * summary, samples) to a shared volume, each file prefixed with its job's name, for `loadgate
 * merge` to read. The target's headers come from a Secret, never from these files. Pure.
 */

/** Where the ConfigMap is mounted in a runner: k6-operator's fixed path. */
export const SCRIPT_DIR = '/test';
/** Where the shared volume holding the parts is mounted in a runner. */
export const PARTS_DIR = '/loadgate';
/** The runner's own name (its job's, `<testrun>-<i>`), from the label the job controller sets. */
const RUNNER_ENV = 'LOADGATE_RUNNER';
/** The key of the target's headers (a JSON object) in their Secret. */
export const HEADERS_SECRET_KEY = 'headers.json';

/** k6-operator names runner i's job `<testrun>-<i>`: it must stay a valid label value (63). */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_NAME_CHARS = 50;

export interface K6OperatorInput {
  /** the TestRun's name; the ConfigMap and Secret are named after it */
  name: string;
  namespace?: string;
  parallelism: number;
  /** the runners' image: k6 at loadgate's pinned version, e.g. grafana/k6:2.2.0 */
  image: string;
  k6Version: string;
  /** a ReadWriteMany PersistentVolumeClaim every runner writes its part to */
  volumeClaim: string;
  plan: LadderPlan;
  configHash: string;
  /** the target's headers are needed: read from the Secret `<name>-target-headers` */
  targetHeaders: boolean;
  /** the script files' text: k6-scripts/ladder.ts and contract.ts, and a user's own script */
  scripts: { ladder: string; contract: string; user?: string };
}

export interface K6OperatorManifests {
  configMap: Record<string, unknown>;
  testRun: Record<string, unknown>;
  /** the Secret the user creates when the target has headers; null when it has none */
  headersSecret: string | null;
  /** runner i's job name and its k6 execution segment */
  segments: { runner: string; executionSegment: string }[];
}

/** The manifests of a distributed run on k6-operator; a ConfigError for a name Kubernetes refuses. */
export function k6OperatorManifests(input: K6OperatorInput): K6OperatorManifests {
  if (!NAME.test(input.name) || input.name.length > MAX_NAME_CHARS) {
    const problem = `--name ${input.name}: lowercase letters, digits and "-", starting and ending with a letter or digit, at most ${MAX_NAME_CHARS} characters (Kubernetes names the runners' jobs after it)`;
    throw new ConfigError(problem, [problem]);
  }
  if (!NAME.test(input.volumeClaim)) {
    const problem = `--volume-claim ${input.volumeClaim}: the name of a PersistentVolumeClaim (lowercase letters, digits and "-")`;
    throw new ConfigError(problem, [problem]);
  }
  const scriptName = `${input.name}-script`;
  const headersSecret = input.targetHeaders ? `${input.name}-target-headers` : null;
  const user = input.plan.script === 'user';
  if (user && input.scripts.user === undefined) throw new Error('a user plan needs the user script');
  const entry = user ? 'k6-user-wrapper.js' : 'ladder.ts';
  const data: Record<string, string> = {
    'ladder.ts': input.scripts.ladder,
    'contract.ts': input.scripts.contract,
    'k6-plan.json': `${JSON.stringify(input.plan, null, 2)}\n`,
    ...(user
      ? {
          'user-script.js': input.scripts.user as string,
          [entry]: renderUserScriptWrapper(
            `file://${SCRIPT_DIR}/ladder.ts`,
            `file://${SCRIPT_DIR}/user-script.js`,
          ),
        }
      : {}),
  };
  const metadata = (name: string) => ({
    name,
    ...(input.namespace !== undefined ? { namespace: input.namespace } : {}),
    labels: { 'app.kubernetes.io/managed-by': 'loadgate' },
  });
  const file = (suffix: string) => `${PARTS_DIR}/$(${RUNNER_ENV})-${suffix}`;
  const segments = Array.from({ length: input.parallelism }, (_, i) => ({
    runner: `${input.name}-${i + 1}`,
    executionSegment:
      input.parallelism > 1 ? k6Segment({ index: i + 1, count: input.parallelism }).executionSegment : '0:1',
  }));
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: {
      ...metadata(input.name),
      annotations: {
        'loadgate/config-hash': input.configHash,
        // what k6-operator gives runner i: loadgate merge reads it back from each part
        'loadgate/segments': segments.map((s) => `${s.runner}=${s.executionSegment}`).join(' '),
      },
    },
    spec: {
      parallelism: input.parallelism,
      script: { configMap: { name: scriptName, file: entry } },
      // exact argv (no shell); Kubernetes expands $(LOADGATE_RUNNER) from the container's env
      args: ['--no-usage-report', '--out', `csv=${file('k6-samples.csv.gz')}`],
      separate: false,
      runner: {
        image: input.image,
        env: [
          // first: the others refer to it
          { name: RUNNER_ENV, valueFrom: { fieldRef: { fieldPath: "metadata.labels['job-name']" } } },
          { name: LADDER_ENV.plan, value: `${SCRIPT_DIR}/k6-plan.json` },
          { name: LADDER_ENV.summary, value: file('k6-summary.json') },
          { name: LADDER_ENV.part, value: file('part.json') },
          { name: LADDER_ENV.samplesFile, value: `$(${RUNNER_ENV})-k6-samples.csv.gz` },
          { name: LADDER_ENV.configHash, value: input.configHash },
          { name: LADDER_ENV.k6Version, value: input.k6Version },
          { name: LADDER_ENV.runId, value: `$(${RUNNER_ENV})` },
          { name: LADDER_ENV.baseUrl, value: input.plan.baseUrl },
          ...(headersSecret
            ? [
                {
                  name: LADDER_ENV.targetHeaders,
                  valueFrom: { secretKeyRef: { name: headersSecret, key: HEADERS_SECRET_KEY } },
                },
              ]
            : []),
        ],
        volumes: [{ name: 'loadgate-parts', persistentVolumeClaim: { claimName: input.volumeClaim } }],
        volumeMounts: [{ name: 'loadgate-parts', mountPath: PARTS_DIR }],
      },
    },
  };
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(scriptName), data };
  return { configMap, testRun, headersSecret, segments };
}
