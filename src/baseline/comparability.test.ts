import { describe, expect, it } from 'vitest';
import { validRaw } from '../config/testConfigs.ts';
import { validateConfig } from '../config/validate.ts';
import { loadHash } from './comparability.ts';

function targetConfig(change: (raw: ReturnType<typeof validRaw>) => void = () => {}) {
  const raw = validRaw();
  delete raw.service;
  delete raw.dependencies;
  raw.target = { url: 'https://staging.example.com', headers: { Authorization: 'Bearer one' } };
  change(raw);
  const { config, errors } = validateConfig(raw);
  expect(errors).toEqual([]);
  return config as NonNullable<typeof config>;
}

describe('loadHash of a deployed target', () => {
  it('ignores where the target is and the token it takes, as it ignores a service image', () => {
    const base = loadHash(targetConfig());
    expect(loadHash(targetConfig((raw) => (raw.target.headers.Authorization = 'Bearer two')))).toBe(base);
    expect(loadHash(targetConfig((raw) => (raw.target.url = 'https://staging-2.example.com')))).toBe(base);
    // the load itself still tells two experiments apart
    expect(loadHash(targetConfig((raw) => (raw.load.levelDuration = '30s')))).not.toBe(base);
  });
});
