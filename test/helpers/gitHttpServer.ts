import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The real `git http-backend` behind a loopback HTTP server that, as GitHub does, wants a token:
 * `Authorization: basic base64(x-access-token:<token>)`. Without it: 401; with the read-only
 * token: fetches pass and pushes get 403. Serves the bare repositories under `projectRoot`.
 */
export interface GitHttpServer {
  url: string;
  /** every Authorization header received, to check what was sent */
  authorizations: string[];
  close(): Promise<void>;
}

export async function startGitHttpServer(options: {
  projectRoot: string;
  token: string;
  readOnlyToken?: string;
}): Promise<GitHttpServer> {
  const authorizations: string[] = [];
  const basic = (token: string) => `basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (auth !== '') authorizations.push(auth);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pushing =
      url.searchParams.get('service') === 'git-receive-pack' || url.pathname.endsWith('/git-receive-pack');
    const lower = auth.toLowerCase();
    if (lower === basic(options.token).toLowerCase()) return cgi(req, res, url, options.projectRoot);
    if (options.readOnlyToken && lower === basic(options.readOnlyToken).toLowerCase()) {
      if (!pushing) return cgi(req, res, url, options.projectRoot);
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Permission denied\n');
      return;
    }
    res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** One request through git http-backend as CGI. */
function cgi(req: IncomingMessage, res: ServerResponse, url: URL, projectRoot: string): void {
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: 'x-access-token', // lets http-backend accept pushes
      REMOTE_ADDR: '127.0.0.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  child.on('close', () => res.end());
}
