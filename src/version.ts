import packageJson from '../package.json' with { type: 'json' };
import tools from '../tools.json' with { type: 'json' };

/** loadgate's own version, as released. */
export const TOOL_VERSION: string = packageJson.version;

/** The pinned versions of the real tools (tools.json, read by the bootstrap too). */
export const PINNED_TOOLS = {
  k6: tools.k6,
  toxiproxy: tools.toxiproxy,
  postgres: tools.postgres,
} as const;
