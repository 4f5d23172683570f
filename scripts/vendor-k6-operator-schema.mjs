// Extracts the TestRun schema (the openAPIV3Schema of k6.io/v1alpha1) from k6-operator's CRD
// into vendor/k6-operator/, where the tests validate `loadgate k6-operator`'s manifest against it.
//
//   node scripts/vendor-k6-operator-schema.mjs <k6.io_testruns.yaml> <version> <commit>
//
// The CRD is k6-operator's config/crd/bases/k6.io_testruns.yaml at a release tag
// (github.com/grafana/k6-operator, Apache-2.0: its LICENSE is vendored beside the schema).
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const [crdPath, version, commit] = process.argv.slice(2);
if (!crdPath || !version || !commit) {
  console.error('usage: node scripts/vendor-k6-operator-schema.mjs <k6.io_testruns.yaml> <version> <commit>');
  process.exit(2);
}
const crd = parse(readFileSync(crdPath, 'utf8'));
const served = crd.spec.versions.find((v) => v.name === 'v1alpha1');
if (!served) throw new Error('no v1alpha1 in the CRD');
const schema = {
  $comment: `k6-operator ${version} (commit ${commit}), config/crd/bases/k6.io_testruns.yaml: spec.versions[v1alpha1].schema.openAPIV3Schema, unchanged. Apache-2.0, see LICENSE.`,
  ...served.schema.openAPIV3Schema,
};
writeFileSync(
  new URL('../vendor/k6-operator/testrun.v1alpha1.schema.json', import.meta.url),
  `${JSON.stringify(schema, null, 2)}\n`,
);
console.log(`wrote vendor/k6-operator/testrun.v1alpha1.schema.json from k6-operator ${version}`);
