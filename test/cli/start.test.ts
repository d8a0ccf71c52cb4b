import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { defer } from '../server/cleanup.ts';
import { runCli, startBroker, tempDir } from './helpers.ts';

test('SIGTERM stops ferry start with exit 0, leaves the clean-shutdown marker, and the data survives a restart', async (t) => {
  const dataDir = await tempDir(t, 'ferry-data-');
  const first = await startBroker(t, { dataDir });
  const health = await fetch(`http://127.0.0.1:${first.httpPort}/readyz`);
  assert.equal(health.status, 200);
  const b = ['--broker', first.address];
  await runCli(['topic', 'create', 'durable', ...b]);
  assert.equal((await runCli(['produce', 'durable', ...b], { input: 'one\ntwo\nthree\n' })).code, 0);

  const exit = await first.stop('SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.match(first.stderr(), /SIGTERM received, shutting down/);
  assert.ok((await readdir(dataDir)).includes('.clean-shutdown'), `marker in ${(await readdir(dataDir)).join(', ')}`);

  const second = await startBroker(t, { dataDir });
  const consumed = await runCli(['consume', 'durable', '--from-beginning', '-n', '3', '--broker', second.address]);
  assert.equal(consumed.stdout, 'one\ntwo\nthree\n');
  assert.deepEqual(await second.stop('SIGINT'), { code: 0, signal: null });
});

test('a port in use: one error line and exit 1', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  defer(t, () => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const dataDir = await tempDir(t);
  const result = await runCli([
    'start',
    '--data-dir',
    dataDir,
    '--native-port',
    String(port),
    '--http-port',
    '0',
    '--kafka-port',
    '-1',
    '--log-level',
    'silent',
  ]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `error: EADDRINUSE: cannot listen on 127.0.0.1:${port} (native): address already in use\n`);
});

test('an unusable data dir: one error line and exit 1', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'file');
  await writeFile(file, '');
  const result = await runCli([
    'start',
    '--data-dir',
    file,
    '--native-port',
    '0',
    '--http-port',
    '0',
    '--kafka-port',
    '-1',
    '--log-level',
    'silent',
  ]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `error: STORAGE_ERROR: data directory ${file} is not usable: a file is in the way (not a directory)\n`);
});

test('config file and env reach the broker: FERRY_DEFAULT_PARTITIONS sets new topics’ partition count', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'ferry.properties');
  await writeFile(file, 'broker.defaultPartitions=2\n');
  const broker = await startBroker(t, { args: ['--config', file], env: { FERRY_DEFAULT_PARTITIONS: '5' } });
  const created = await runCli(['topic', 'create', 'p', '--broker', broker.address]);
  assert.equal(created.stdout, 'created topic p with 5 partition(s)\n');
});
