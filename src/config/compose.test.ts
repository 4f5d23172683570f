// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose's and loadgate's own interpolation syntax
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ConfigError } from '../errors.ts';
import {
  composeSchemaProblems,
  interpolateTemplate,
  interpolateValue,
  parseComposeDurationS,
  splitWords,
  translateCompose,
} from './compose.ts';
import { configFromText, readConfig } from './read.ts';

const translate = (text: string, env: Record<string, string> = {}, service = 'app') =>
  translateCompose(YAML.parse(text), {
    selection: { file: 'docker-compose.yml', service },
    shownFile: 'docker-compose.yml',
    composeDir: '/repo/deploy',
    configDir: '/repo/.github',
    env,
  });

const stack = `
services:
  app:
    build:
      context: ..
      dockerfile: docker/App.Dockerfile
      target: runtime
      args: [VERSION=1.2, NPM_TOKEN]
    image: myorg/app:dev
    command: gunicorn "app:create()" --bind 0.0.0.0:8000 --workers \${WORKERS:-2}
    environment:
      - DATABASE_URL=postgresql://app:\${DB_PASSWORD}@db:5432/app
      - PRICE=$$5
      - API_KEY
    ports: ["127.0.0.1:8080:8000/tcp", "9090"]
    depends_on:
      cache:
        condition: service_started
      db:
        condition: service_healthy
    restart: unless-stopped
  db:
    image: postgres:\${PG_VERSION:-15}
    environment: { POSTGRES_PASSWORD: "\${DB_PASSWORD:?set DB_PASSWORD}" }
    healthcheck:
      test: [CMD, pg_isready, -h, 127.0.0.1, -U, "app user"]
      interval: 2s
      retries: 45
      start_period: 10s
    volumes: [pgdata:/var/lib/postgresql/data]
  cache:
    image: redis:7
    expose: [6379]
    depends_on: [db]
  frontend:
    image: myorg/web
    entrypoint: [nginx]
volumes:
  pgdata:
`;

describe('a docker-compose.yml as the service and its dependencies', () => {
  it('reads the service under test and what it depends on, in start order, with loadgate settings', () => {
    const out = translate(stack, { DB_PASSWORD: 'pw' });
    expect(out.problems).toEqual([]);
    // each after what it depends on; frontend (not needed, and with an unsupported key) left out
    expect(Object.keys(out.dependencies)).toEqual(['db', 'cache']);
    expect(out.service).toEqual({
      build: {
        context: '..',
        dockerfile: 'docker/App.Dockerfile',
        target: 'runtime',
        args: { VERSION: '1.2', NPM_TOKEN: '${env.NPM_TOKEN}' },
      },
      command: ['gunicorn', 'app:create()', '--bind', '0.0.0.0:8000', '--workers', '2'],
      env: {
        DATABASE_URL: 'postgresql://app:${env.DB_PASSWORD}@db:5432/app',
        PRICE: '$5',
        API_KEY: '${env.API_KEY}',
      },
      port: 8000,
    });
    expect(out.dependencies.db).toEqual({
      image: 'postgres:15',
      env: { POSTGRES_PASSWORD: '${env.DB_PASSWORD}' },
      wait: { command: "pg_isready -h 127.0.0.1 -U 'app user'" },
      startupTimeout: '100s',
    });
    expect(out.dependencies.cache).toEqual({ image: 'redis:7', ports: [6379] });
    expect(out.warnings).toEqual([
      'docker-compose.yml: services.db.volumes[0]: left out: every run starts with an empty pgdata',
      'docker-compose.yml: services.app.restart: left out: loadgate starts each container once; one that stops fails the run',
    ]);
  });

  it('names every key, mount and dependency it cannot honour', () => {
    const out = translate(
      `
services:
  app:
    image: app
    entrypoint: [run]
    env_file: .env
    volumes: [./init.sql:/docker-entrypoint-initdb.d/init.sql]
    ports: ["8000-8002"]
    depends_on:
      migrate: { condition: service_completed_successfully }
      my_db: { condition: service_started }
  migrate:
    image: app
    command: migrate
  my_db:
    image: postgres
`,
      {},
    );
    expect(out.problems).toEqual([
      expect.stringMatching(
        /^docker-compose\.yml: services\.app\.depends_on\.migrate: condition service_completed_successfully is not supported/,
      ),
      expect.stringMatching(
        /^docker-compose\.yml: services\.my_db: the service is reached by its name, and loadgate names containers/,
      ),
      expect.stringMatching(
        /^docker-compose\.yml: services\.app\.entrypoint: not supported by loadgate, which reads image, build, command, environment, ports, expose, depends_on, healthcheck/,
      ),
      expect.stringMatching(/^docker-compose\.yml: services\.app\.env_file: not supported by loadgate/),
      expect.stringMatching(
        /^docker-compose\.yml: services\.app\.volumes\[0\]: the bind mount of \.\/init\.sql is not supported/,
      ),
      expect.stringMatching(
        /^docker-compose\.yml: services\.app\.ports: "8000-8002" is not one container port/,
      ),
      expect.stringMatching(/^docker-compose\.yml: services\.app: lists no port in ports or expose/),
    ]);
    expect(translate('services:\n  web: { image: x }\n', {}).problems).toEqual([
      'docker-compose.yml: services: has no service "app" (compose.service); it has web',
    ]);
    expect(
      translate(
        'services:\n  app: { image: a, depends_on: [db], ports: [80] }\n  db: { image: b, depends_on: [app] }\n',
      ).problems,
    ).toEqual([
      'docker-compose.yml: services.app.depends_on: services depend on each other in a circle: app → db → app',
    ]);
  });

  it("checks the file against the Compose specification's JSON Schema first", () => {
    expect(composeSchemaProblems({ services: { app: { image: 'x', ports: 8000 } } })).toEqual([
      'services.app.ports: must be array',
    ]);
    expect(composeSchemaProblems({ services: { app: { image: 'x', restrt: 'always' } } })).toEqual([
      'services.app: must NOT have additional properties (restrt)',
    ]);
    expect(composeSchemaProblems({ servces: {} })[0]).toBe(
      '(top level): must NOT have additional properties (servces)',
    );
    expect(translate('services:\n  app:\n    image: x\n    ports: 8000\n').problems).toEqual([
      'docker-compose.yml: services.app.ports: must be array',
    ]);
  });
});

describe("compose's interpolation", () => {
  const problems: string[] = [];
  const env = { SET: 'value', EMPTY: '' };
  const template = (text: string) => interpolateTemplate(text, env, (m) => problems.push(m));
  const value = (text: string) => interpolateValue(text, env, (m) => problems.push(m));

  it('in a value that may be secret: variables read at run time, defaults decided now, literal ${ escaped', () => {
    expect(template('a ${SET} $SET ${MISSING}')).toBe('a ${env.SET} ${env.SET} ${env.MISSING}');
    expect(template('${SET:-d} ${MISSING:-d} ${EMPTY:-d} ${EMPTY-d} ${MISSING-d}')).toBe('${env.SET} d d  d');
    expect(template('${SET:+alt} ${EMPTY:+alt} ${EMPTY+alt} ${MISSING+alt}')).toBe('alt  alt ');
    expect(template('$$HOME $${NOT} ${MISSING:-x${y}}')).toBe('$HOME $${NOT} x$${y}');
    expect(problems).toEqual([]);
    template('${MISSING:?say why}');
    expect(problems).toEqual(['${MISSING:?say why}: say why']);
  });

  it('elsewhere: read at once', () => {
    expect(value('app:${SET}-${MISSING:-latest} ${MISSING}')).toBe('app:value-latest ');
  });

  it('splits a command string into words as compose does, without a shell', () => {
    expect(splitWords(`python -m app --name "two words" 'single $quoted' a\\ b $HOME "esc\\"aped"`)).toEqual([
      'python',
      '-m',
      'app',
      '--name',
      'two words',
      'single $quoted',
      'a b',
      '$HOME',
      'esc"aped',
    ]);
    expect(splitWords('  ')).toEqual([]);
    expect(splitWords(`x ""`)).toEqual(['x', '']);
  });

  it('reads durations as compose writes them', () => {
    expect(parseComposeDurationS('1m30s')).toBe(90);
    expect(parseComposeDurationS('500ms')).toBe(0.5);
    expect(parseComposeDurationS('2h')).toBe(7200);
    expect(parseComposeDurationS('soon')).toBeNull();
  });
});

describe('compose in the config', () => {
  it("lays the config's own settings over the file's: env key by key, an image in place of the build", () => {
    const compose = {
      text: 'services:\n  app:\n    build: .\n    ports: [8000]\n    environment: { A: "1", B: "2" }\n  db:\n    image: postgres:15\n',
      shownFile: 'docker-compose.yml',
      dir: '/repo',
      configDir: '/repo',
      env: {},
    };
    const text = `version: 1
compose: { file: docker-compose.yml, service: app }
service:
  image: app:prebuilt
  env: { B: "two", C: "3" }
  wait: { http: /health }
load: { levels: [1], requests: [{ name: home, path: / }] }
`;
    const { config } = configFromText(text, 'loadgate.yml', ['service.env.A=one'], compose);
    expect(config.service).toMatchObject({
      image: 'app:prebuilt',
      port: 8000,
      env: { A: 'one', B: 'two', C: '3' },
      wait: { kind: 'http', path: '/health' },
    });
    expect(config.service?.build).toBeUndefined();
    expect(Object.keys(config.dependencies)).toEqual([]);
    expect(() =>
      configFromText(text.replace('service: app', 'service: api'), 'loadgate.yml', [], compose),
    ).toThrow(/has no service "api"/);
  });
});

describe('readConfig with compose', () => {
  it('reads the compose file beside the config, and names a missing or broken one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-compose-'));
    try {
      const config = join(dir, 'loadgate.yml');
      await writeFile(
        config,
        'version: 1\ncompose: { file: deploy/compose.yml, service: app }\nload: { levels: [1], requests: [{ name: home, path: / }] }\n',
      );
      const missing = await readConfig(config, [], {}).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ConfigError);
      expect((missing as ConfigError).message).toMatch(
        /^compose\.file: cannot read deploy\/compose\.yml \(.*\): ENOENT/,
      );
      await mkdir(join(dir, 'deploy'));
      await writeFile(
        join(dir, 'deploy', 'compose.yml'),
        'services:\n  app:\n    build: ..\n    ports: [8000]\n    volumes: [./x:/x]\n',
      );
      const broken = await readConfig(config, [], {}).catch((e: unknown) => e);
      expect((broken as ConfigError).problems).toEqual([
        'deploy/compose.yml: services.app.volumes[0]: the bind mount of ./x is not supported; copy it into the image (COPY in its Dockerfile)',
      ]);
      await writeFile(
        join(dir, 'deploy', 'compose.yml'),
        'services:\n  app:\n    build: ..\n    ports: [8000]\n',
      );
      const loaded = await readConfig(config, [], {});
      // the build context, relative to the compose file, is read relative to the config
      expect(loaded.config.service?.build).toEqual({ context: '.', dockerfile: 'Dockerfile', args: {} });
      expect(loaded.config.compose).toEqual({ file: 'deploy/compose.yml', service: 'app' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
