import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/common/errors.ts';
import { RecordingLogger } from '../../../src/common/logger.ts';
import { fetchApi } from '../../../src/protocols/native/apis/fetch.ts';
import { helloApi } from '../../../src/protocols/native/apis/hello.ts';
import { produceApi } from '../../../src/protocols/native/apis/produce.ts';
import { subscribeApi } from '../../../src/protocols/native/apis/queue-consumers.ts';
import { brokerConfigApi, createPartitionsApi, createTopicsApi, listTopicsApi } from '../../../src/protocols/native/apis/topics.ts';
import { decodeErrorFrame, decodeResponse } from '../../../src/protocols/native/codec.ts';
import { ApiKey, FrameFlag, FrameType, MAX_PROTOCOL_VERSION } from '../../../src/protocols/native/constants.ts';
import { encodeFrame } from '../../../src/protocols/native/frames.ts';
import type { NativeLimits } from '../../../src/protocols/native/limits.ts';
import { startNativeServer } from '../../../src/protocols/native/server.ts';
import { startRealBroker } from '../../client/real-broker.ts';
import { FakeBroker } from './fake-broker.ts';
import { RawClient } from './raw-client.ts';

async function start(t: { after: (fn: () => Promise<void>) => void }, limits: Partial<NativeLimits> = {}) {
  const broker = new FakeBroker();
  const logger = new RecordingLogger();
  const server = await startNativeServer({ broker, host: '127.0.0.1', port: 0, logger, limits });
  const clients: RawClient[] = [];
  const open = async (options?: { hello?: boolean }) => {
    const client = await RawClient.open(server.port, options);
    clients.push(client);
    return client;
  };
  t.after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });
  return { broker, logger, server, open };
}

/** The same server on the real broker (temp dir): for everything that needs no fake hooks. */
async function startReal(t: { after: (fn: () => Promise<void>) => void }, limits: Partial<NativeLimits> = {}) {
  const logger = new RecordingLogger();
  const { server } = await startRealBroker(t, { limits, logger });
  const clients: RawClient[] = [];
  const open = async (options?: { hello?: boolean }) => {
    const client = await RawClient.open(server.port, options);
    clients.push(client);
    return client;
  };
  t.after(async () => {
    for (const client of clients) client.close();
  });
  return { logger, server, open };
}

/** Native-server log lines with this error code (the broker's own lines are left out). */
function linesWith(logger: RecordingLogger, code: string) {
  return logger.lines.filter((line) => {
    const obj = line.obj as { code?: string; component?: string };
    return obj.code === code && obj.component === 'native';
  });
}

test('produces and fetches records through the server', async (t) => {
  const { open } = await start(t);
  const client = await open();
  const created = await client.call(createTopicsApi, {
    topics: [{ name: 'orders', partitions: 2, replicationFactor: -1, config: {} }],
    validateOnly: false,
  });
  assert.equal(created.topics[0]!.error, null);
  assert.equal(created.topics[0]!.topic!.partitions.length, 2);

  const payload = Buffer.from('batch-bytes');
  const produced = await client.call(produceApi, {
    acks: -1,
    timeoutMs: 1000,
    partitions: [
      { topic: 'orders', partition: 1, records: payload },
      { topic: 'missing', partition: 0, records: payload },
    ],
  });
  assert.equal(produced.partitions[0]!.error, null);
  assert.equal(produced.partitions[0]!.baseOffset, 0);
  assert.equal(produced.partitions[1]!.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'one bad partition does not fail the other');

  const fetched = await client.call(fetchApi, {
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 'read_uncommitted',
    partitions: [{ topic: 'orders', partition: 1, offset: 0, maxBytes: 1 << 20 }],
  });
  assert.deepEqual(fetched.partitions[0]!.records, payload);
  assert.equal(fetched.partitions[0]!.highWatermark, 1);
});

test('pipelined requests are answered out of order and matched by correlation id', async (t) => {
  const { open, broker } = await start(t);
  const client = await open();
  await broker.createTopic('slow', { partitions: 1 });
  broker.produceDelayMs = (request) => (request.topic === 'slow' ? 150 : 0);
  const slowId = client.send(produceApi, {
    acks: -1,
    timeoutMs: 1000,
    partitions: [{ topic: 'slow', partition: 0, records: Buffer.from('x') }],
  });
  const fastId = client.send(listTopicsApi, { includeInternal: false });
  const first = await client.waitFor((f) => f.type === FrameType.response);
  assert.equal(first?.correlationId, fastId, 'the quick answer overtakes the slow one');
  const slow = await client.response(slowId);
  assert.equal(decodeResponse(produceApi, 1, slow.body).partitions[0]!.baseOffset, 0);
});

test('produce calls reach the broker in the order they were pipelined', async (t) => {
  const { open, broker } = await start(t);
  const client = await open();
  await broker.createTopic('seq', { partitions: 3 });
  const ids: number[] = [];
  for (let i = 0; i < 60; i++) {
    ids.push(
      client.send(produceApi, { acks: 1, timeoutMs: 1000, partitions: [{ topic: 'seq', partition: i % 3, records: Buffer.from([i]) }] }),
    );
  }
  for (const id of ids) await client.response(id);
  assert.deepEqual(
    broker.produceLog.map((entry) => entry.partition),
    Array.from({ length: 60 }, (_, i) => i % 3),
  );
  for (let p = 0; p < 3; p++) {
    const stored = broker.topics.get('seq')![p]!.entries.map((e) => e.data[0]);
    assert.deepEqual(
      stored,
      Array.from({ length: 20 }, (_, i) => i * 3 + p),
    );
  }
});

test('acks 0 with the noResponse flag gets no answer but is written', async (t) => {
  const { open, broker } = await start(t);
  const client = await open();
  await broker.createTopic('fire', { partitions: 1 });
  client.send(
    produceApi,
    { acks: 0, timeoutMs: 0, partitions: [{ topic: 'fire', partition: 0, records: Buffer.from('a') }] },
    { flags: FrameFlag.noResponse },
  );
  const afterId = client.send(listTopicsApi, { includeInternal: false });
  await client.response(afterId);
  assert.equal(client.frames.length, 0, 'nothing but the list answer arrived');
  assert.equal(broker.topics.get('fire')![0]!.entries.length, 1);
});

test('garbage bytes close the connection with an error frame and one log line; others carry on', async (t) => {
  const { open, logger, server } = await startReal(t);
  const bystander = await open();
  const client = await open({ hello: false });
  client.writeRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const error = await client.errorFrame();
  assert.ok(error, 'an error frame arrives before close');
  assert.equal(decodeErrorFrame(error).code, ErrorCode.FRAME_TOO_LARGE, '"GET " read as a length is ~1.2 GB');
  await client.closed;
  assert.equal(linesWith(logger, ErrorCode.FRAME_TOO_LARGE).length, 1);
  assert.deepEqual(await bystander.call(listTopicsApi, { includeInternal: false }), { topics: [] });
  assert.equal(server.connectionCount, 1);
});

test('a frame whose length is too short for a header closes the connection', async (t) => {
  const { open } = await startReal(t);
  const client = await open();
  client.writeRaw(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
  const error = await client.errorFrame();
  assert.equal(decodeErrorFrame(error!).code, ErrorCode.INVALID_REQUEST);
  await client.closed;
});

test('an oversized frame is refused before its body is read or allocated', async (t) => {
  const { open, logger } = await startReal(t, { maxFrameBytes: 1024 });
  const client = await open();
  const header = Buffer.alloc(14);
  header.writeUInt32BE(10 + 4096, 0);
  header.writeUInt8(FrameType.request, 4);
  header.writeUInt16BE(ApiKey.produce, 5);
  client.writeRaw(header);
  const error = await client.errorFrame();
  const decoded = decodeErrorFrame(error!);
  assert.equal(decoded.code, ErrorCode.FRAME_TOO_LARGE);
  assert.match(decoded.message, /4106 bytes exceeds the limit of 1024/);
  await client.closed;
  assert.equal(linesWith(logger, ErrorCode.FRAME_TOO_LARGE).length, 1);
});

test('an unknown api key gets an error response and the connection stays usable', async (t) => {
  const { open, logger } = await startReal(t);
  const client = await open();
  client.writeRaw(encodeFrame({ type: FrameType.request, apiKey: 999, apiVersion: 1, correlationId: 77, flags: 0 }, Buffer.alloc(3)));
  const frame = await client.response(77);
  assert.throws(() => decodeResponse(listTopicsApi, 1, frame.body), { code: ErrorCode.INVALID_REQUEST });
  assert.deepEqual(await client.call(listTopicsApi, { includeInternal: false }), { topics: [] });
  assert.equal(linesWith(logger, ErrorCode.INVALID_REQUEST).length, 1);
});

test('an unsupported api version gets UNSUPPORTED_VERSION and the connection stays usable', async (t) => {
  const { open } = await startReal(t);
  const client = await open();
  const id = client.send(listTopicsApi, { includeInternal: false }, { version: 9 });
  const frame = await client.response(id);
  assert.throws(() => decodeResponse(listTopicsApi, 9, frame.body), { code: ErrorCode.UNSUPPORTED_VERSION });
  assert.deepEqual(await client.call(listTopicsApi, { includeInternal: false }), { topics: [] });
});

test('a malformed body gets INVALID_REQUEST and the connection stays usable', async (t) => {
  const { open } = await startReal(t);
  const client = await open();
  client.writeRaw(
    encodeFrame({ type: FrameType.request, apiKey: ApiKey.produce, apiVersion: 1, correlationId: 5, flags: 0 }, Buffer.from([1, 2])),
  );
  const frame = await client.response(5);
  assert.throws(() => decodeResponse(produceApi, 1, frame.body), { code: ErrorCode.INVALID_REQUEST });
  assert.deepEqual(await client.call(listTopicsApi, { includeInternal: false }), { topics: [] });
});

test('a request before Hello closes the connection', async (t) => {
  const { open } = await startReal(t);
  const client = await open({ hello: false });
  client.send(listTopicsApi, { includeInternal: false });
  const error = await client.errorFrame();
  assert.match(decodeErrorFrame(error!).message, /first request must be Hello/);
  await client.closed;
});

test('Hello with no common protocol version is refused with UNSUPPORTED_VERSION', async (t) => {
  const { open } = await startReal(t);
  const client = await open({ hello: false });
  const id = client.send(helloApi, { minProtocolVersion: 7, maxProtocolVersion: 9, clientId: 'future', clientSoftware: 'x' });
  const frame = await client.response(id);
  assert.throws(() => decodeResponse(helloApi, 1, frame.body), { code: ErrorCode.UNSUPPORTED_VERSION });
  await client.closed;
});

test('Hello answers with limits and every api', async (t) => {
  const { server } = await startReal(t, { maxFrameBytes: 4096 });
  const client = await RawClient.open(server.port, { hello: false });
  t.after(() => client.close());
  const hello = await client.call(helloApi, { minProtocolVersion: 1, maxProtocolVersion: 5, clientId: 'c', clientSoftware: 's' });
  assert.equal(hello.protocolVersion, MAX_PROTOCOL_VERSION);
  assert.equal(hello.maxFrameBytes, 4096);
  assert.ok(hello.apis.some((api) => api.apiKey === ApiKey.fetch));
});

test('a silent connection is closed after the handshake timeout', async (t) => {
  const { open, logger } = await startReal(t, { handshakeTimeoutMs: 100 });
  const client = await open({ hello: false });
  const error = await client.errorFrame();
  assert.equal(decodeErrorFrame(error!).code, ErrorCode.TIMEOUT);
  await client.closed;
  assert.equal(linesWith(logger, ErrorCode.TIMEOUT).length, 1);
});

test('an idle connection is closed after the idle timeout', async (t) => {
  const { open } = await startReal(t, { idleTimeoutMs: 150 });
  const client = await open();
  const started = Date.now();
  const error = await client.errorFrame();
  assert.equal(decodeErrorFrame(error!).code, ErrorCode.TIMEOUT);
  await client.closed;
  assert.ok(Date.now() - started >= 100);
});

test('a half-open connection (client ended its side) still gets its answers, then is closed', async (t) => {
  const { open, broker, server } = await start(t);
  await broker.createTopic('half', { partitions: 1 });
  broker.produceDelayMs = () => 50;
  const client = await open();
  const id = client.send(produceApi, {
    acks: 1,
    timeoutMs: 1000,
    partitions: [{ topic: 'half', partition: 0, records: Buffer.from('x') }],
  });
  client.socket.end();
  const frame = await client.response(id);
  assert.equal(decodeResponse(produceApi, 1, frame.body).partitions[0]!.error, null);
  await client.closed;
  assert.equal(server.connectionCount, 0);
});

test('a connection that stops mid-frame is closed by the idle timeout', async (t) => {
  const { open } = await startReal(t, { idleTimeoutMs: 150 });
  const client = await open();
  client.writeRaw(Buffer.from([0, 0, 0, 100, 1, 0]));
  await client.closed;
});

test('a long poll is aborted when its connection closes', async (t) => {
  const { open, broker } = await start(t);
  await broker.createTopic('quiet', { partitions: 1 });
  const client = await open();
  client.send(fetchApi, {
    maxWaitMs: 20_000,
    minBytes: 1,
    maxBytes: 1024,
    isolationLevel: 'read_uncommitted',
    partitions: [{ topic: 'quiet', partition: 0, offset: 0, maxBytes: 1024 }],
  });
  while (broker.fetchCalls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  client.close();
  const deadline = Date.now() + 2000;
  while (broker.abortedFetches === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(broker.abortedFetches, 1);
});

test('connections beyond maxConnections get TOO_MANY_CONNECTIONS', async (t) => {
  const { open, server } = await startReal(t, { maxConnections: 2 });
  await open();
  await open();
  const third = await open({ hello: false });
  const error = await third.errorFrame();
  assert.equal(decodeErrorFrame(error!).code, ErrorCode.TOO_MANY_CONNECTIONS);
  await third.closed;
  assert.equal(server.connectionCount, 2);
});

test('a client that never reads cannot grow broker memory; other clients are unaffected', async (t) => {
  const { server, broker, open } = await start(t, { maxInFlightBytesPerConnection: 256 * 1024 });
  await broker.createTopic('big', { partitions: 1 });
  const writer = await open();
  const big = Buffer.alloc(512 * 1024, 7);
  await writer.call(produceApi, { acks: 1, timeoutMs: 1000, partitions: [{ topic: 'big', partition: 0, records: big }] });

  // A raw socket that handshakes, then pipelines fetches of 512 KiB forever without reading.
  const hog = connect({ port: server.port, host: '127.0.0.1' });
  hog.on('error', () => {});
  t.after(() => hog.destroy());
  await new Promise<void>((resolve) => hog.once('connect', () => resolve()));
  hog.pause();
  const { encodeRequest } = await import('../../../src/protocols/native/codec.ts');
  for (const part of encodeRequest(helloApi, 1, 1, { minProtocolVersion: 1, maxProtocolVersion: 1, clientId: 'hog', clientSoftware: 'x' }))
    hog.write(part);
  const fetchRequest = {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 'read_uncommitted' as const,
    partitions: [{ topic: 'big', partition: 0, offset: 0, maxBytes: 1 << 20 }],
  };
  let sent = 0;
  const pump = setInterval(() => {
    for (let i = 0; i < 50; i++) for (const part of encodeRequest(fetchApi, 1, 2 + sent++, fetchRequest)) hog.write(part);
  }, 5);
  t.after(() => clearInterval(pump));
  await new Promise((resolve) => setTimeout(resolve, 700));
  clearInterval(pump);

  // Fetches served stay bounded: answers queued in the broker's socket are capped near the
  // in-flight limit (plus the kernel buffers), not one per request sent.
  const served = broker.fetchCalls;
  t.diagnostic(`hog sent ${sent} fetches, ${served} served`);
  assert.ok(sent > 1000, `the hog sent ${sent} requests`);
  assert.ok(served < 100, `only ${served} fetches were served for a client that does not read`);

  const started = Date.now();
  assert.equal((await writer.call(listTopicsApi, { includeInternal: false })).topics.length, 1);
  assert.ok(Date.now() - started < 500, 'another client is answered promptly');
});

test('a broker call that throws synchronously, or an answer too big to encode, is an error answer, not a crash', async (t) => {
  class BrokenBroker extends FakeBroker {
    override createPartitions(): Promise<never> {
      throw new Error('synchronous failure');
    }
    override brokerConfig(): Record<string, string> {
      return { 'too.long': 'x'.repeat(40_000) };
    }
  }
  const logger = new RecordingLogger();
  const server = await startNativeServer({ broker: new BrokenBroker(), host: '127.0.0.1', port: 0, logger });
  const client = await RawClient.open(server.port);
  t.after(async () => {
    client.close();
    await server.close();
  });
  await assert.rejects(client.call(createPartitionsApi, { name: 'x', totalCount: 2 }), { code: ErrorCode.UNKNOWN_SERVER_ERROR });
  await assert.rejects(client.call(brokerConfigApi, {}), { code: ErrorCode.INVALID_REQUEST });
  assert.deepEqual(await client.call(listTopicsApi, { includeInternal: false }), { topics: [] });
  assert.equal(logger.lines.filter((line) => line.level === 'error').length, 2, 'each logged once, as a bug');
});

test('a protocol v1 client still gets v1, and Subscribe on its connection is refused', async (t) => {
  const { server } = await startReal(t, {});
  const client = await RawClient.open(server.port, { hello: false });
  t.after(() => client.close());
  const hello = await client.call(helloApi, { minProtocolVersion: 1, maxProtocolVersion: 1, clientId: 'old', clientSoftware: 's' });
  assert.equal(hello.protocolVersion, 1);
  const id = client.send(subscribeApi, {
    topic: 't',
    subscription: 's',
    mode: 'shared',
    prefetch: -1,
    ackTimeoutMs: -1,
    consumerId: null,
    createIfMissing: true,
    create: {},
  });
  const frame = await client.response(id);
  assert.throws(() => decodeResponse(subscribeApi, 1, frame.body), { code: ErrorCode.UNSUPPORTED_VERSION });
});
