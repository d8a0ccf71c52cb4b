import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../../src/common/logger.ts';
import { adminRoutes } from '../../../src/protocols/http/admin/index.ts';
import { openApiPath } from '../../../src/protocols/http/admin/openapi.ts';
import { startHttpServer } from '../../../src/protocols/http/server.ts';
import { startBroker } from '../../broker/helpers.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

test('GET /api/openapi.json is an OpenAPI 3.1 document listing exactly the registered /api routes', async (t) => {
  const { broker } = await startBroker(t);
  const registered = new Set<string>();
  // Runs before the admin plugin on the same root scope, so it sees every route it adds.
  const recordRoutes = (app: FastifyInstance) => {
    app.addHook('onRoute', (options) => {
      const methods = Array.isArray(options.method) ? options.method : [options.method];
      for (const method of methods) {
        // Fastify adds a HEAD route for each GET by itself; OpenAPI implies HEAD from GET.
        if (method !== 'HEAD' && options.url.startsWith('/api/')) registered.add(`${method.toLowerCase()} ${openApiPath(options.url)}`);
      }
    });
  };
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    plugins: [recordRoutes, adminRoutes({ broker, logger: silentLogger, limits: { maxPeekRecords: 77 } })],
  });
  t.after(() => http.close());

  const response = await fetch(`http://127.0.0.1:${http.port}/api/openapi.json`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const document = JSON.parse(await response.text());

  assert.match(document.openapi, /^3\.1\.\d+$/);
  assert.equal(typeof document.info.title, 'string');
  assert.equal(typeof document.info.version, 'string');
  assert.equal(typeof document.paths, 'object');

  const documented = new Set<string>();
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, Record<string, unknown>>>)) {
    assert.ok(path.startsWith('/api/'), path);
    for (const [method, operation] of Object.entries(item)) {
      assert.ok(METHODS.includes(method), `${method} ${path}`);
      documented.add(`${method} ${path}`);
      assert.equal(typeof operation.operationId, 'string');
      assert.ok(!operationIds.has(operation.operationId as string), `operationId ${operation.operationId} repeats`);
      operationIds.add(operation.operationId as string);
      assert.ok(Object.keys(operation.responses as object).length > 0, `${method} ${path} has responses`);
      // Every {param} of the path is declared as a required path parameter, and nothing else is.
      const parameters = (operation.parameters ?? []) as { name: string; in: string; required: boolean }[];
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      assert.deepEqual(
        parameters.filter((p) => p.in === 'path').map((p) => p.name),
        inPath,
        `${method} ${path} path parameters`,
      );
      assert.ok(parameters.filter((p) => p.in === 'path').every((p) => p.required));
    }
  }
  assert.deepEqual([...documented].sort(), [...registered].sort());
  assert.ok(documented.size >= 18, `only ${documented.size} operations`);

  // Every $ref points into the document.
  const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((match) => match[1]!);
  assert.ok(refs.length > 0);
  for (const ref of refs) {
    const target = ref.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
    assert.ok(target !== undefined, `dangling $ref #/${ref}`);
  }

  // The bounds in force are in the document (built from the same schemas that validate).
  const peek = document.paths['/api/topics/{topic}/partitions/{partition}/records'].get;
  const limit = peek.parameters.find((p: { name: string }) => p.name === 'limit');
  assert.equal(limit.in, 'query');
  assert.equal(limit.schema.maximum, 77);
  const create = document.paths['/api/topics'].post;
  assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['name']);
});
