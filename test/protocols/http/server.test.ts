import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import { startHttpServer } from '../../../src/protocols/http/server.ts';

async function get(port: number, path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: response.status, body: (await response.json()) as unknown };
}

test('/healthz is 200 throughout; /readyz is 503 while starting or stopping and 200 when ready', async (t) => {
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger, plugins: [] });
  t.after(() => http.close());
  assert.deepEqual(await get(http.port, '/healthz'), { status: 200, body: { status: 'ok' } });
  assert.deepEqual(await get(http.port, '/readyz'), { status: 503, body: { status: 'starting' } });
  http.setReadiness('ready');
  assert.deepEqual(await get(http.port, '/readyz'), { status: 200, body: { status: 'ready' } });
  http.setReadiness('stopping');
  assert.deepEqual(await get(http.port, '/readyz'), { status: 503, body: { status: 'stopping' } });
  assert.deepEqual(await get(http.port, '/healthz'), { status: 200, body: { status: 'ok' } });
  const missing = await get(http.port, '/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } });
});

test('a FerryError thrown by a route answers JSON with the status of its code; other throws are 500 and the server stays up', async (t) => {
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    plugins: [
      (app) => {
        app.get('/missing-topic', async () => {
          throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'no topic "x"');
        });
        app.get('/busy', async () => {
          throw new FerryError(ErrorCode.BACKLOG_LIMIT_EXCEEDED, 'full');
        });
        app.get('/bug', async () => {
          throw new TypeError('oops');
        });
        app.post('/echo', async (request) => request.body);
      },
    ],
    maxBodyBytes: 64,
  });
  t.after(() => http.close());
  assert.deepEqual(await get(http.port, '/missing-topic'), {
    status: 404,
    body: { error: { code: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'no topic "x"' } },
  });
  assert.equal((await get(http.port, '/busy')).status, 429);
  assert.deepEqual(await get(http.port, '/bug'), {
    status: 500,
    body: { error: { code: 'UNKNOWN_SERVER_ERROR', message: 'internal error (see the broker log)' } },
  });
  const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
  const badJson = await get(http.port, '/echo', { ...json, body: '{' });
  assert.equal(badJson.status, 400);
  assert.equal((badJson.body as { error: { code: string } }).error.code, 'INVALID_REQUEST');
  const tooLarge = await get(http.port, '/echo', { ...json, body: JSON.stringify({ pad: 'x'.repeat(100) }) });
  assert.equal(tooLarge.status, 413);
  assert.deepEqual(await get(http.port, '/echo', { ...json, body: '{"a":1}' }), { status: 200, body: { a: 1 } });
  assert.deepEqual(await get(http.port, '/healthz'), { status: 200, body: { status: 'ok' } });
});

test('addPlugins adds routes after the start while the probes keep answering; close ends keep-alive connections', async (t) => {
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger, plugins: [] });
  t.after(() => http.close());
  assert.equal((await get(http.port, '/later')).status, 404);
  await http.addPlugins([
    (app) => {
      app.get('/later', async () => ({ later: true }));
    },
  ]);
  assert.deepEqual(await get(http.port, '/later'), { status: 200, body: { later: true } });
  assert.deepEqual(await get(http.port, '/healthz'), { status: 200, body: { status: 'ok' } });
  await http.close();
  await assert.rejects(fetch(`http://127.0.0.1:${http.port}/healthz`));
  await http.close(); // idempotent
});
