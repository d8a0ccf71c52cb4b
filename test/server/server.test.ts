import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { connect } from '../../src/client/index.ts';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { resolveConfig } from '../../src/server/config.ts';
import { flagEntries } from '../../src/server/config-sources.ts';
import { startFerry } from '../../src/server/server.ts';
import { defer } from './cleanup.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-server-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

function configFor(dataDir: string, flags: Record<string, string> = {}) {
  return resolveConfig({ flags: flagEntries({ dataDir, nativePort: '0', httpPort: '0', kafkaPort: '0', ...flags }) });
}

test('startFerry on free ports: healthz and readyz answer 200, the native port serves clients, close stops both', async (t) => {
  const dataDir = await tempDir(t);
  const ferry = await startFerry(configFor(dataDir), { logger: silentLogger });
  defer(t, () => ferry.close());
  assert.ok(ferry.nativePort > 0 && ferry.httpPort > 0 && ferry.nativePort !== ferry.httpPort);

  const healthz = await fetch(`http://127.0.0.1:${ferry.httpPort}/healthz`);
  assert.equal(healthz.status, 200);
  assert.deepEqual(await healthz.json(), { status: 'ok' });
  const readyz = await fetch(`http://127.0.0.1:${ferry.httpPort}/readyz`);
  assert.equal(readyz.status, 200);

  const client = await connect(`127.0.0.1:${ferry.nativePort}`);
  await client.admin().createTopic({ name: 'orders', partitions: 2 });
  assert.deepEqual(
    (await client.admin().listTopics()).map((topic) => topic.name),
    ['orders'],
  );
  await client.close();

  await ferry.close();
  await assert.rejects(fetch(`http://127.0.0.1:${ferry.httpPort}/healthz`));
  await ferry.close(); // idempotent
});

test('topics and records survive a close and a restart on the same data dir', async (t) => {
  const dataDir = await tempDir(t);
  const first = await startFerry(configFor(dataDir), { logger: silentLogger });
  const client = await connect(`127.0.0.1:${first.nativePort}`);
  await client.admin().createTopic({ name: 'events', partitions: 1 });
  const producer = client.producer();
  await producer.sendBatch([
    { topic: 'events', value: 'a' },
    { topic: 'events', value: 'b' },
  ]);
  await client.close();
  await first.close();
  assert.equal(first.broker.logs.wasCleanShutdown, false, 'the fresh data dir had no marker');

  const second = await startFerry(configFor(dataDir), { logger: silentLogger });
  defer(t, () => second.close());
  assert.equal(second.broker.logs.wasCleanShutdown, true, 'close wrote the clean-shutdown marker');
  const description = second.broker.describeTopic('events');
  assert.equal(description.partitions[0]!.logEndOffset, 2);
});

test('a port in use fails the start with EADDRINUSE and releases what was opened', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  defer(t, () => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const dataDir = await tempDir(t);

  await assert.rejects(startFerry(configFor(dataDir, { nativePort: String(port) }), { logger: silentLogger }), (error) => {
    assert.ok(error instanceof FerryError);
    assert.equal(error.details?.errno, 'EADDRINUSE');
    assert.match(error.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(native\\): address already in use`));
    return true;
  });
  // Storage was closed again: a second start on the same dir works.
  const ferry = await startFerry(configFor(dataDir), { logger: silentLogger });
  await ferry.close();
});

test('a data dir that is a file fails the start with STORAGE_ERROR', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'not-a-dir');
  await writeFile(file, 'x');
  await assert.rejects(startFerry(configFor(file), { logger: silentLogger }), (error) => {
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, ErrorCode.STORAGE_ERROR);
    assert.match(error.message, /data directory .*not-a-dir is not usable: a file is in the way/);
    return true;
  });
});

test('the Kafka listener serves Kafka clients on its own port; kafkaPort -1 turns it off', async (t) => {
  const dataDir = await tempDir(t);
  const ferry = await startFerry(configFor(dataDir), { logger: silentLogger });
  defer(t, () => ferry.close());
  assert.ok(ferry.kafkaPort !== null && ferry.kafkaPort > 0);
  const kafka = new Kafka({ clientId: 'server-test', brokers: [`127.0.0.1:${ferry.kafkaPort}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'from-kafka', messages: [{ value: 'hello' }] });
  await producer.disconnect();
  assert.equal(ferry.broker.describeTopic('from-kafka').partitions[0]!.logEndOffset, 1);

  const off = await startFerry(configFor(await tempDir(t), { kafkaPort: '-1' }), { logger: silentLogger });
  defer(t, () => off.close());
  assert.equal(off.kafkaPort, null);
});
