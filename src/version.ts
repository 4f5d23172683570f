import { readFileSync } from 'node:fs';
import tools from '../tools.json' with { type: 'json' };

declare const LOADGATE_VERSION: string | undefined;

/**
 * loadgate's own version, as released. The bundle gets it as a constant at build time (so that
 * package.json's other fields stay out of dist/); the sources read package.json.
 */
export const TOOL_VERSION: string =
  typeof LOADGATE_VERSION === 'string'
    ? LOADGATE_VERSION
    : JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** The pinned versions of the real tools (tools.json, read by the bootstrap too). */
export const PINNED_TOOLS = {
  k6: tools.k6,
  toxiproxy: tools.toxiproxy,
  postgres: tools.postgres,
} as const;
