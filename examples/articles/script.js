// A k6 script of the usual kind for loadgate's articles service: setup() registers a user, logs
// in and writes a few articles, and every iteration uses the token and the slugs it returned.
// loadgate runs it through its ladder (load.script); requests are tagged `req` for per-request
// results, and the service's URL comes from __ENV.LOADGATE_BASE_URL.
import { check } from 'k6';
import http from 'k6/http';

const base = __ENV.LOADGATE_BASE_URL;
const json = { 'Content-Type': 'application/json' };

export const options = {
  // the script's own thresholds count: crossing one fails loadgate's gate
  thresholds: { checks: ['rate>0.99'] },
};

export function setup() {
  const username = `k6-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const password = 'correct horse battery staple';
  const registered = http.post(`${base}/api/users`, JSON.stringify({ username, password }), {
    headers: json,
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${registered.body}`);
  const login = http.post(`${base}/api/login`, JSON.stringify({ username, password }), { headers: json });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.body}`);
  const token = login.json('token');
  const auth = { ...json, Authorization: `Token ${token}` };
  const slugs = [];
  for (let i = 0; i < 10; i++) {
    const created = http.post(
      `${base}/api/articles`,
      JSON.stringify({ title: `k6 article ${i}`, body: 'k6' }),
      {
        headers: auth,
      },
    );
    if (created.status !== 201) throw new Error(`create article: ${created.status} ${created.body}`);
    slugs.push(created.json('slug'));
  }
  return { token, slugs };
}

export default function (data) {
  const slug = data.slugs[Math.floor(Math.random() * data.slugs.length)];
  const pick = Math.random();
  if (pick < 0.6) {
    const list = http.get(`${base}/api/articles?limit=20`, { tags: { req: 'list' } });
    check(list, { 'list answers 200': (r) => r.status === 200 });
  } else if (pick < 0.9) {
    const article = http.get(`${base}/api/articles/${slug}`, { tags: { req: 'article' } });
    check(article, { 'article answers 200': (r) => r.status === 200 });
  } else {
    const favorite = http.post(`${base}/api/articles/${slug}/favorite`, null, {
      headers: { Authorization: `Token ${data.token}` },
      tags: { req: 'favorite' },
    });
    check(favorite, { 'favorite answers 200': (r) => r.status === 200 });
  }
}
