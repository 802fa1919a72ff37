// The web (portal, workbench, public calculator) is a single-page app built by Vite from web/ into
// dist/web and served here by the same server as the API: its files as they are, and index.html
// for every other GET outside /api, /docs and the platform routes, so a shared link such as
// /calculator?... opens the right page. `npm start` builds it when it is missing or older than
// the sources (a hash of web/ is kept beside the build).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { ProblemError } from '#platform/http/problem.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const webSources = path.join(projectRoot, 'web');
export const webBuild = path.join(projectRoot, 'dist', 'web');
const hashFile = '.source-hash';

/** Paths the server answers itself: never the app's index.html. */
const serverPaths = /^\/(api|docs|openapi\.json|health|metrics)(\/|$|\?)/;

/** A hash of every file under web/ (sources, config) and the lock file: a change means rebuild. */
export function webSourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (name === 'node_modules' || name === 'dist') {
        continue;
      }
      if (statSync(full).isDirectory()) {
        walk(full);
      } else {
        hash.update(path.relative(webSources, full)).update('\0').update(readFileSync(full)).update('\0');
      }
    }
  };
  walk(webSources);
  const lock = path.join(projectRoot, 'package-lock.json');
  if (existsSync(lock)) {
    hash.update(readFileSync(lock));
  }
  return hash.digest('hex');
}

/** True when dist/web holds a build of the current sources. */
export function webIsCurrent(): boolean {
  const stamp = path.join(webBuild, hashFile);
  return existsSync(path.join(webBuild, 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === webSourceHash();
}

/** Builds the web with Vite unless the build is current; returns whether it built. */
export async function ensureWebBuilt(log: (message: string) => void = () => undefined): Promise<boolean> {
  if (!existsSync(webSources) || webIsCurrent()) {
    return false;
  }
  log('building the web (web/ -> dist/web)...');
  const hash = webSourceHash();
  const staging = `${webBuild}.${process.pid}`;
  // Vite is loaded only when a build is needed.
  const { build } = await import('vite');
  // A production build whatever the caller's NODE_ENV (vitest sets "test", which would bundle React's development build).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    // Built beside dist/web and moved into place, so a server starting meanwhile (or a second
    // build racing this one) never serves a half-written build.
    await build({ configFile: path.join(webSources, 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
  } finally {
    if (nodeEnv === undefined) {
      delete process.env.NODE_ENV;
    } else {
      process.env.NODE_ENV = nodeEnv;
    }
  }
  writeFileSync(path.join(staging, hashFile), `${hash}\n`);
  rmSync(webBuild, { recursive: true, force: true });
  renameSync(staging, webBuild);
  log('web built');
  return true;
}

/** Serves dist/web when it exists; without a build the server is the API alone. */
export async function installWeb(app: FastifyInstance, root = webBuild): Promise<boolean> {
  const index = path.join(root, 'index.html');
  if (!existsSync(index)) {
    return false;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: false,
    serveDotFiles: false,
    setHeaders: (res, file) => {
      // Files under assets/ carry a content hash in their name: they never change.
      res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const page = readFileSync(index);
  const sendPage = async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(page);
  app.get('/', { schema: { hide: true }, config: { access: 'public' } }, sendPage);
  app.get('/*', { schema: { hide: true }, config: { access: 'public' } }, async (request, reply) => {
    if (serverPaths.test(request.url)) {
      throw new ProblemError({ type: 'not-found', title: 'Not found', status: 404, detail: `No route ${request.method} ${request.url}` });
    }
    return sendPage(request, reply);
  });
  return true;
}
