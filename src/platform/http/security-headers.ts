// Headers every answer carries. The API answers JSON, so by default a browser may run, load or
// frame nothing from it; only the API documentation at /docs (Swagger UI: its own scripts and
// styles, inline style attributes) gets a policy that lets that page work.
import type { FastifyInstance, FastifyRequest } from 'fastify';

const apiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const docsPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// The web app (served from dist/web): its own scripts and styles only; Mantine sets inline style
// attributes and one style element, so inline styles are allowed, never inline scripts.
const webPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Paths the API and platform answer; every other path is the web app's. */
const serverPath = /^\/(api|openapi\.json|health|metrics)(\/|$|\?)/;

const always: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** Answers that depend on who asked (or hand out a token) must not be kept by any cache. */
function personal(request: FastifyRequest): boolean {
  return request.principal !== undefined || request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined || request.url.startsWith('/api/v1/auth/');
}

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.headers(always);
    const docs = request.url === '/docs' || request.url.startsWith('/docs/');
    void reply.header('content-security-policy', docs ? docsPolicy : serverPath.test(request.url) ? apiPolicy : webPolicy);
    if (personal(request)) {
      void reply.header('cache-control', 'no-store');
    }
    return payload;
  });
}
