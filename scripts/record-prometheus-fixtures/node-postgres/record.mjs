// Records node-postgres's pool metrics as the widely used exporter
// (@christiangalsterer/node-postgres-prometheus-exporter) exposes them through prom-client,
// after a burst that makes clients wait for the pool. Usage: node record.mjs <postgresURL> <outFile>
import { writeFile } from 'node:fs/promises';
import { monitorPgPool } from '@christiangalsterer/node-postgres-prometheus-exporter';
import pg from 'pg';
import { Registry } from 'prom-client';

const [url, outFile] = process.argv.slice(2);
// Host, port and database given one by one: the exporter labels its series with them and
// exports nothing for a pool configured by connectionString alone.
const { hostname, port, username, password, pathname } = new URL(url);
const pool = new pg.Pool({
  host: hostname,
  port: Number(port),
  user: username,
  password,
  database: pathname.slice(1),
  max: 2,
  connectionTimeoutMillis: 250,
});
const register = new Registry();
monitorPgPool(pool, register);

// 6 workers × 20 queries holding a connection 30 ms each: most wait, a few time out.
let timeouts = 0;
await Promise.all(
  Array.from({ length: 6 }, async () => {
    for (let i = 0; i < 20; i++) {
      try {
        await pool.query('SELECT pg_sleep(0.03)');
      } catch {
        timeouts++;
      }
    }
  }),
);
// Mid-burst gauges are the interesting ones; sample while a burst is still running.
const burst = Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT pg_sleep(0.2)')));
await new Promise((done) => setTimeout(done, 50));
await writeFile(outFile, await register.metrics());
await burst;
await pool.end();
console.log(`node-postgres: ${timeouts} checkouts timed out`);
