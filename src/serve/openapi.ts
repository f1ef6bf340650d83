/**
 * GET /openapi.json: an OpenAPI 3.1 document built from the routes' own schemas, collected
 * as the routes are registered (Fastify's onRoute hook) — so it lists exactly what the
 * server serves.
 *
 * @example
 *   const doc = openApiCollector(app, { title: 'finegrain', version: '1' });
 *   // ...register routes...
 *   doc.document(); // { openapi: '3.1.0', paths: { '/v1/classify': { post: ... } } }
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };

export interface OpenApiCollector {
  document(): Record<string, unknown>;
}

const IMAGE_BODY = {
  'image/*': { schema: { type: 'string', format: 'binary' } },
  'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
  'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', format: 'binary' } } } },
  'application/json': { schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', contentEncoding: 'base64' } } } },
};

export function openApiCollector(app: FastifyInstance, info: { title: string; version: string; description?: string }): OpenApiCollector {
  const paths: Record<string, Record<string, unknown>> = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as (Record<string, unknown> & { querystring?: JsonSchema; response?: Record<string, unknown> }) | undefined;
    if (!schema || (route.config as { hidden?: boolean } | undefined)?.hidden) return;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      const op: Record<string, unknown> = { summary: schema.summary, description: schema.description };
      const q = schema.querystring?.properties;
      if (q) op.parameters = Object.entries(q).map(([name, s]) => ({ name, in: 'query', required: false, schema: s, description: s.description }));
      if (method === 'POST') op.requestBody = { required: true, content: IMAGE_BODY };
      op.responses = Object.fromEntries(
        Object.entries(schema.response ?? {}).map(([code, s]) => [
          code,
          { description: code === '200' ? 'OK' : 'error', content: { [route.url === '/metrics' ? 'text/plain' : 'application/json']: { schema: s } } },
        ]),
      );
      (paths[route.url] ??= {})[method.toLowerCase()] = op;
    }
  });
  return {
    document: () => ({
      openapi: '3.1.0',
      info,
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'when the server runs with --api-key' } } },
      paths,
    }),
  };
}
