import { TOOL_VERSION } from '../version.ts';

/** The repository the example workflows use the action from (`loadgate/loadgate@v0`). */
export const DEFAULT_ACTION_REPOSITORY = 'loadgate/loadgate';

/**
 * Where the release workflow attaches this version's `npm pack` tarball: the package that the
 * comment's reproduce command runs through npx (it is not on the npm registry). The action's own
 * repository when the runner names it (GITHUB_ACTION_REPOSITORY), else the default.
 */
export function releaseTarballUrl(
  serverUrl: string,
  actionRepository: string | undefined,
  version: string = TOOL_VERSION,
): string {
  const repository =
    actionRepository && /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(actionRepository)
      ? actionRepository
      : DEFAULT_ACTION_REPOSITORY;
  return `${serverUrl.replace(/\/+$/, '')}/${repository}/releases/download/v${version}/loadgate-${version}.tgz`;
}
