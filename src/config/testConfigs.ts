// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name.host} is the config's own reference syntax
/** Configs for the tests beside this file: a valid one to mutate, as a YAML reader would produce it. */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into and break any part of it
export function validRaw(): Record<string, any> {
  return {
    version: 1,
    service: {
      build: { context: '.', dockerfile: 'Dockerfile', args: { PYTHON_VERSION: 3.12 } },
      port: 8000,
      command: ['python3', '-m', 'uvicorn', 'app:app'],
      env: {
        DATABASE_URL: 'postgresql+asyncpg://app:app@${db.host}:${db.port}/app',
        DEMO_POOL_SIZE: 10,
      },
      wait: { http: '/health' },
      startupTimeout: '60s',
    },
    dependencies: {
      db: {
        image: 'postgres:15',
        ports: [5432],
        env: { POSTGRES_USER: 'app', POSTGRES_PASSWORD: 'app', POSTGRES_DB: 'app' },
        wait: { log: 'database system is ready to accept connections', times: 2 },
        startupTimeout: '1m',
      },
    },
    load: {
      model: 'closed',
      levels: [1, 5, 10, 20],
      levelDuration: '20s',
      warmup: '5s',
      requestTimeout: '2s',
      requests: [
        { name: 'items', method: 'GET', path: '/items', weight: 3, headers: { Accept: 'application/json' } },
        { name: 'create', method: 'POST', path: '/items', body: { a: 1 }, expectStatus: [201] },
      ],
    },
    gate: {
      thresholds: [
        { metric: 'p99', max: '800ms', level: 10, request: 'items', phase: 'clean' },
        { metric: 'errorRate', max: '0.1%' },
        { metric: 'throughputRps', min: 50, level: 20 },
      ],
    },
  };
}

export const VALID_YAML = `version: 1
service:
  build: { context: ., dockerfile: Dockerfile }
  port: 8000
  env:
    DATABASE_URL: "postgresql+asyncpg://app:app@\${db.host}:\${db.port}/app"
    DEMO_POOL_SIZE: "10"
  wait: { http: /health }
dependencies:
  db:
    image: postgres:15
    ports: [5432]
    env: { POSTGRES_USER: app, POSTGRES_PASSWORD: app, POSTGRES_DB: app }
    wait: { log: "database system is ready to accept connections", times: 2 }
load:
  levels: [1, 5, 10, 20]
  levelDuration: 20s
  requests:
    - name: items
      path: /items
gate:
  thresholds:
    - metric: p99
      max: 800ms
`;
