/** Where loadgate looks for its config when none is named (the CLI's --config, the action's input). */
export const DEFAULT_CONFIG_PATH = '.github/loadgate.yml';

/** JSON with every mapping's keys sorted; lists keep their order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
