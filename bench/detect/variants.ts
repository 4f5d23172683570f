/**
 * bench:detect's variants: which service, which two containers form the base and candidate
 * sides, and what the candidate changes. Every container of a service's stack is built from
 * one image and differs only by the `--set` settings below, so a pool's blocks differ only by
 * the change under test.
 */
export type ServiceName = 'demo' | 'articles';

export interface VariantSpec {
  service: ServiceName;
  /** what the candidate is, for the table */
  label: string;
  /** the container the base slots drive */
  base: string;
  /** the container the candidate slots drive */
  candidate: string;
  /** no change between the sides: a regression verdict is a false alarm */
  aa: boolean;
  /** a busy loop on one core beside the candidate slots (the runner's neighbour, not the code) */
  hog?: boolean;
  /** the request and percentiles an effect is expected on (detection is counted there) */
  request: string;
}

/** The containers of each service's stack: name → the `--set` settings of its service. */
export const CONTAINERS: Record<ServiceName, Record<string, string[]>> = {
  demo: {
    a: [],
    // A/A's candidate: a second container of A, so process-to-process differences count as noise
    a2: [],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
    slow: ['service.env.DEMO_UPSTREAM_URL=http://${up56.host}:${up56.port}/quote'],
  },
  articles: {
    a: [],
    a2: [],
    query: ['service.env.ARTICLES_EXTRA_QUERY=1'],
    cpu: ['service.env.ARTICLES_CPU_BURN_US=700'],
    // each gunicorn process bursts on its own clock: about 30 errors per burst at the bench's rate
    burst: ['service.env.ARTICLES_BURST_EVERY_S=40', 'service.env.ARTICLES_BURST_MS=1000'],
    burst2: ['service.env.ARTICLES_BURST_EVERY_S=40', 'service.env.ARTICLES_BURST_MS=1000'],
  },
};

export const VARIANTS: Record<string, VariantSpec> = {
  'demo-aa': { service: 'demo', label: 'demo A/A', base: 'a', candidate: 'a2', aa: true, request: 'items' },
  'demo-slow': {
    service: 'demo',
    label: 'demo 60 ms endpoint +10% (upstream 50 → 56 ms)',
    base: 'a',
    candidate: 'slow',
    aa: false,
    request: 'items',
  },
  'articles-aa': {
    service: 'articles',
    label: 'articles A/A',
    base: 'a',
    candidate: 'a2',
    aa: true,
    request: 'list',
  },
  'articles-query': {
    service: 'articles',
    label: 'articles list + one query',
    base: 'a',
    candidate: 'query',
    aa: false,
    request: 'list',
  },
  'articles-bursts': {
    service: 'articles',
    label: 'articles A/A, bursts of errors on both sides',
    base: 'burst',
    candidate: 'burst2',
    aa: true,
    request: 'list',
  },
  'articles-cpu': {
    service: 'articles',
    label: 'articles +0.7 ms CPU per request (about +30%)',
    base: 'a',
    candidate: 'cpu',
    aa: false,
    request: 'list',
  },
  'articles-hog': {
    service: 'articles',
    label: 'articles A/A, a CPU hog beside the candidate',
    base: 'a',
    candidate: 'a2',
    aa: true,
    hog: true,
    request: 'list',
  },
};

/** The variants named (comma-separated), all of one service; throws on an unknown name or a mix. */
export function variantsOf(names: string): { service: ServiceName; names: string[] } {
  const list = names
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  const unknown = list.filter((n) => !(n in VARIANTS));
  if (list.length === 0 || unknown.length > 0) {
    throw new Error(
      `--record: unknown variant ${unknown.join(', ') || '(none)'}; known: ${Object.keys(VARIANTS).join(', ')}`,
    );
  }
  const services = [...new Set(list.map((n) => (VARIANTS[n] as VariantSpec).service))];
  if (services.length !== 1)
    throw new Error(`--record: variants of one service at a time, got ${services.join(', ')}`);
  return { service: services[0] as ServiceName, names: list };
}
