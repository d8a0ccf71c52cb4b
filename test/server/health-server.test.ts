import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/common/logger.ts';
import { startHealthServer } from '../../src/server/health-server.ts';

test('/healthz is 200 throughout; /readyz is 503 while starting or stopping and 200 when ready', async (t) => {
  const health = await startHealthServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  t.after(() => health.close());
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${health.port}${path}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  assert.deepEqual(await get('/healthz'), { status: 200, body: { status: 'ok' } });
  assert.deepEqual(await get('/readyz'), { status: 503, body: { status: 'starting' } });
  health.setReadiness('ready');
  assert.deepEqual(await get('/readyz'), { status: 200, body: { status: 'ready' } });
  health.setReadiness('stopping');
  assert.deepEqual(await get('/readyz'), { status: 503, body: { status: 'stopping' } });
  assert.deepEqual(await get('/healthz'), { status: 200, body: { status: 'ok' } });
  assert.equal((await fetch(`http://127.0.0.1:${health.port}/nope`)).status, 404);
});
