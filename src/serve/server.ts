import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Connection } from '../engine/index.js';
import type { Platform } from '../pipeline/index.js';
import { apiRoutes } from './api.js';
import { registryRoutes } from './registry-api.js';

const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The port is taken or not ours to use; the message says what to do. */
export class ServeError extends Error {
  override name = 'ServeError';
}

/**
 * Everything on one port: the JSON API under /api, the schema registry's Confluent REST API
 * under /registry, HTTP ingest under /ingest (when given: createIngest in src/sources/http),
 * Prometheus at /metrics, the dashboard at /.
 */
export function createApp(platform: Platform, conn: Connection, ingest?: Hono): Hono {
  const app = new Hono();
  app.route('/api', apiRoutes(platform, conn));
  if (ingest) app.route('/ingest', ingest);
  app.route('/registry', registryRoutes(platform.registry));
  app.get('/metrics', async (c) => {
    const body = await platform.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': platform.metrics.registry.contentType });
  });
  app.get('/*', async (c) => {
    let path = c.req.path === '/' || c.req.path.startsWith('/stores') ? '/index.html' : c.req.path;
    path = normalize(path).replace(/^(\.\.[/\\])+/, '');
    const type = TYPES[extname(path)];
    if (!type) return c.json({ error: `no such page: ${c.req.path}` }, 404);
    try {
      const body = await readFile(join(WEB_DIR, path));
      return c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
    } catch {
      return c.json({ error: `no such page: ${c.req.path}` }, 404);
    }
  });
  return app;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the HTTP server; a taken port becomes one clear sentence. */
export async function startServer(
  platform: Platform,
  opts: { port: number; host: string; ingest?: Hono },
): Promise<RunningServer> {
  const conn = await platform.session.connect();
  const app = createApp(platform, conn, opts.ingest);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }) as Server;
    server.once('error', (err: NodeJS.ErrnoException) => {
      conn.close();
      if (err.code === 'EADDRINUSE') {
        reject(
          new ServeError(
            `port ${opts.port} on ${opts.host} is already in use; stop the program using it or pass --port with a free port`,
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(
          new ServeError(
            `not allowed to listen on port ${opts.port}; pass --port with a port above 1023`,
          ),
        );
      } else reject(err);
    });
    server.once('listening', () => {
      const port = (server.address() as AddressInfo).port;
      const host = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections?.();
            server.close(() => {
              conn.close();
              done();
            });
          }),
      });
    });
  });
}
