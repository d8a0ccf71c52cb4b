import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, ErrorCode, FerryError } from '../../src/client/index.ts';
import { parseEndpoint } from '../../src/client/url.ts';
import { startNativeServer } from '../../src/protocols/native/server.ts';
import { MAX_PROTOCOL_VERSION } from '../../src/protocols/native/constants.ts';
import { FakeBroker } from '../protocols/native/fake-broker.ts';
import { TcpProxy } from './tcp-proxy.ts';

async function fakeServer(t: { after: (fn: () => Promise<void>) => void }) {
  const broker = new FakeBroker();
  const server = await startNativeServer({ broker, host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  return { broker, server };
}

test('urls: ferry://host:port, host:port, host, [v6]:port', () => {
  assert.deepEqual(parseEndpoint('ferry://broker.example:9000'), { host: 'broker.example', port: 9000 });
  assert.deepEqual(parseEndpoint('localhost:7421'), { host: 'localhost', port: 7421 });
  assert.deepEqual(parseEndpoint('localhost'), { host: 'localhost', port: 7420 });
  assert.deepEqual(parseEndpoint('ferry://[::1]:7000/'), { host: '::1', port: 7000 });
  assert.throws(() => parseEndpoint('http://x:1'), { code: ErrorCode.INVALID_CONFIG });
  assert.throws(() => parseEndpoint('x:99999'), { code: ErrorCode.INVALID_CONFIG });
});

test('connect rejects with CONNECTION_CLOSED when nothing listens', async () => {
  const { server } = await startNativeServer({ broker: new FakeBroker(), host: '127.0.0.1', port: 0 }).then(async (s) => {
    const port = s.port;
    await s.close();
    return { server: { port } };
  });
  await assert.rejects(connect(`127.0.0.1:${server.port}`, { connectTimeoutMs: 2000 }), (error: unknown) => {
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, ErrorCode.CONNECTION_CLOSED);
    return true;
  });
});

test('admin calls round-trip through the server', async (t) => {
  const { server } = await fakeServer(t);
  const client = await connect(`ferry://127.0.0.1:${server.port}`);
  t.after(() => client.close());
  const admin = client.admin();
  const created = await admin.createTopic({ name: 'orders', partitions: 3 });
  assert.equal(created.partitions.length, 3);
  await assert.rejects(admin.createTopic({ name: 'orders' }), { code: ErrorCode.TOPIC_ALREADY_EXISTS });
  assert.deepEqual(await admin.listTopics(), [{ name: 'orders', partitionCount: 3, isInternal: false }]);
  assert.equal((await admin.createPartitions('orders', 5)).partitions.length, 5);
  assert.deepEqual(
    (await admin.listOffsets('orders', 'earliest')).map((p) => p.offset),
    [0, 0, 0, 0, 0],
  );
  assert.equal(await admin.deleteRecords('orders', 0, 0), 0);
  await admin.deleteTopic('orders');
  await assert.rejects(admin.describeTopic('orders'), { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  assert.equal((await client.serverInfo()).protocolVersion, MAX_PROTOCOL_VERSION);
});

test('a dropped connection is replaced on the next request', async (t) => {
  const { server } = await fakeServer(t);
  const proxy = await TcpProxy.start(server.port);
  t.after(() => proxy.close());
  const client = await connect(`127.0.0.1:${proxy.port}`, { retryBackoffMs: 10 });
  t.after(() => client.close());
  const admin = client.admin();
  assert.deepEqual(await admin.listTopics(), []);
  proxy.dropAll();
  // listTopics is a read: retried on the new connection without the caller noticing.
  assert.deepEqual(await admin.listTopics(), []);
  assert.equal(proxy.acceptedConnections, 2);
});

test('a connection lost mid-request fails a non-idempotent call with CONNECTION_CLOSED', async (t) => {
  const { server } = await fakeServer(t);
  const proxy = await TcpProxy.start(server.port);
  t.after(() => proxy.close());
  const client = await connect(`127.0.0.1:${proxy.port}`);
  t.after(() => client.close());
  proxy.dropNextResponse();
  await assert.rejects(client.admin().createTopic({ name: 'x' }), { code: ErrorCode.CONNECTION_CLOSED });
  // The server did create it: the caller learns that on retry.
  await assert.rejects(client.admin().createTopic({ name: 'x' }), { code: ErrorCode.TOPIC_ALREADY_EXISTS });
});
