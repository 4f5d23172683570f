import { describe, expect, it } from 'vitest';
import { applyOverrides, parseOverride, parseOverrideLines } from './overrides.ts';
import { validRaw } from './testConfigs.ts';
import { validateConfig } from './validate.ts';

describe('applyOverrides', () => {
  it('sets values parsed as YAML before validation, without touching the input', () => {
    const raw = validRaw();
    const before = structuredClone(raw);
    const { value, errors } = applyOverrides(raw, [
      'service.env.DEMO_POOL_SIZE=5',
      'load.levels=[1,2,4,10,20]',
      'load.model=open',
      'load.requests[0].weight=2',
      'gate.thresholds[0].max = 1s',
    ]);
    expect(errors).toEqual([]);
    expect(raw).toEqual(before);
    const { config } = validateConfig(value);
    expect(config?.service?.env.DEMO_POOL_SIZE).toBe('5');
    expect(config?.load).toMatchObject({ levels: [1, 2, 4, 10, 20], model: 'open', maxVUs: 40 });
    expect(config?.load.requests[0]?.weight).toBe(2);
    expect(config?.gate.thresholds[0]).toMatchObject({ maxMs: 1000 });
  });

  it('creates missing mappings and lists, appends at the end of a list, and removes with null', () => {
    const { value, errors } = applyOverrides(validRaw(), [
      'dependencies.cache.image=redis:7',
      'dependencies.cache.ports[0]=6379',
      'load.requests[2]={ name: health, path: /health }',
      'service.env["spring.datasource.url"]=jdbc:postgresql://db/app',
      'service.command=null',
      'gate=~',
      'service.env.EMPTY=',
    ]);
    expect(errors).toEqual([]);
    const { config } = validateConfig(value);
    expect(config?.dependencies.cache).toMatchObject({ image: 'redis:7', ports: [6379] });
    expect(config?.load.requests.map((r) => r.name)).toEqual(['items', 'create', 'health']);
    expect(config?.service?.env['spring.datasource.url']).toBe('jdbc:postgresql://db/app');
    expect(config?.service?.env.EMPTY).toBe('');
    expect(config?.service).not.toHaveProperty('command');
    expect(config?.gate.thresholds).toEqual([]);
  });

  it('starts from an empty mapping when the file is empty', () => {
    expect(applyOverrides(null, ['version=1']).value).toEqual({ version: 1 });
  });

  it('names the override in every problem, and applies the others', () => {
    const { value, errors } = applyOverrides(validRaw(), [
      'load.levels',
      '=5',
      'load..levels=1',
      'load.levels[x]=1',
      'load.levels[9]=1',
      'service.port.number=1',
      'load.requests.name=x',
      'service[0]=1',
      'load.levels=[1, 2',
      '__proto__.polluted=1',
      'load.model=open',
    ]);
    expect(errors).toEqual([
      'override "load.levels": no "="; write path=value, e.g. load.levels=[1,2,4] or service.env.POOL_SIZE=5',
      'override "=5": no setting before "="; write path=value, e.g. service.env.POOL_SIZE=5',
      'override "load..levels=1": an empty key at character 6',
      'override "load.levels[x]=1": "[x]" is neither a list index nor a quoted key; write [0] or ["key.with.dots"]',
      'override "load.levels[9]=1": load.levels has 4 items; [9] is beyond its end (load.levels[4] adds one)',
      'override "service.port.number=1": service.port is the number 8000, so it has no settings inside',
      'override "load.requests.name=x": load.requests is a list; write an index such as load.requests[0]',
      'override "service[0]=1": service is a mapping, not a list; write a key instead of [0]',
      expect.stringMatching(
        /^override "load\.levels=\[1, 2": the value is not valid YAML \(.+\); quote text/,
      ),
      'override "__proto__.polluted=1": "__proto__" is not a setting',
    ]);
    expect((value as { load: { model: string } }).load.model).toBe('open');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses one override into its path and value', () => {
    expect(parseOverride('load.requests[0]["x.y"]=[1, "a"]')).toEqual({
      override: {
        text: 'load.requests[0]["x.y"]=[1, "a"]',
        path: ['load', 'requests', 0, 'x.y'],
        value: [1, 'a'],
        remove: false,
      },
    });
    expect(parseOverride('a.b=c=d')).toMatchObject({ override: { path: ['a', 'b'], value: 'c=d' } });
    expect(parseOverride('a.b="5"')).toMatchObject({ override: { value: '5' } });
  });
});

describe('parseOverrideLines', () => {
  it('takes one override a line, skipping blank lines and # comments', () => {
    expect(
      parseOverrideLines('\n# pool size for the matrix\nservice.env.POOL=5\r\n  load.model=open  \n\n'),
    ).toEqual(['service.env.POOL=5', 'load.model=open']);
    expect(parseOverrideLines('')).toEqual([]);
  });
});
