#!/usr/bin/env node
/**
 * A small static file server for the built site, on the loopback interface only.
 *
 *   node scripts/serve.mjs [--port N] [--dir site]      (pnpm --filter @chainzrule/docs serve)
 *
 * Port 0 picks a free port (the tests use that). A server is needed because browsers refuse ES
 * modules and fetch() from file:// URLs, which the demo page uses.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { siteDir } from './workspace.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves `root` on `host:port`; resolves to `{ url, port, close }` once listening.
 * Requests outside `root` get 403, missing files 404; a directory serves its index.html.
 */
export function startServer({ root = siteDir, host = '127.0.0.1', port = 0 } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    let file = normalize(join(base, path));
    const inside = relative(base, file);
    if (inside.startsWith('..') || inside.split(sep).includes('..')) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolvePromise({
        url: `http://${host}:${actual}/`,
        port: actual,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const value = (flag, fallback) => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const port = Number(value('--port', process.env.PORT ?? '8080'));
  const root = resolve(value('--dir', siteDir));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`serve: --port must be an integer from 0 to 65535, got ${value('--port', '')}\n`);
    process.exit(2);
  }
  if (!existsSync(join(root, 'index.html'))) {
    process.stderr.write(`serve: ${root} has no index.html; build the site first: pnpm docs:build\n`);
    process.exit(1);
  }
  try {
    const { url } = await startServer({ root, port });
    process.stdout.write(`ChainzRule docs: ${url}  (volatility demo: ${url}demo/)  Ctrl+C stops\n`);
  } catch (e) {
    const code = e && typeof e === 'object' && 'code' in e ? e.code : '';
    process.stderr.write(
      code === 'EADDRINUSE' ? `serve: port ${port} is in use; pick another with --port N (0 picks a free one)\n` : `serve: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exit(1);
  }
}
