// A k6 script of your own in place of loadgate's built-in requests (load.script). loadgate
// runs it through its ladder: per-level scenarios, warm-ups, timeouts and results stay the same.
// Send requests to __ENV.LOADGATE_BASE_URL; tag each with `req` to get results per request.
import http from 'k6/http';

const base = __ENV.LOADGATE_BASE_URL;

export default function () {
  const items = http.get(`${base}/items`, { tags: { req: 'items' } });
  if (items.status === 200) {
    http.get(`${base}/health`, { tags: { req: 'health' } });
  }
}
