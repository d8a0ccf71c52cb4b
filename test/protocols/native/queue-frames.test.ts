import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { connect } from '../../../src/client/index.ts';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';
import { RecordingLogger } from '../../../src/common/logger.ts';
import { ackApi, nackApi, subscribeApi } from '../../../src/protocols/native/apis/queue-consumers.ts';
import {
  decodeConsumerClosedPush,
  decodeDeliveryPush,
  encodeConsumerClosedPush,
  encodeDeliveryPush,
  type PushedMessage,
} from '../../../src/protocols/native/apis/queue-push.ts';
import { helloApi } from '../../../src/protocols/native/apis/hello.ts';
import { listSubscriptionsApi } from '../../../src/protocols/native/apis/subscriptions.ts';
import { decodeResponse, encodeRequest } from '../../../src/protocols/native/codec.ts';
import { FrameType } from '../../../src/protocols/native/constants.ts';
import { startRealBroker } from '../../client/real-broker.ts';
import { RawClient } from './raw-client.ts';
import { testSeed } from './seed.ts';

const seed = testSeed();

const message = fc.record({
  partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  offset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  timestamp: fc.integer({ min: -1, max: 2 ** 45 }),
  key: fc.option(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes))),
  value: fc.option(fc.uint8Array({ maxLength: 5000 }).map((bytes) => Buffer.from(bytes))),
  headers: fc.array(
    fc.record({ key: fc.string({ maxLength: 20 }), value: fc.option(fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b))) }),
    { maxLength: 4 },
  ),
  deliveryCount: fc.integer({ min: 1, max: 1000 }),
});

function body(frame: Buffer[]): Buffer {
  return Buffer.concat(frame).subarray(14);
}

test('delivery pushes round-trip, and a consumer-closed push too', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.array(message, { maxLength: 20 }), (handle, messages) => {
      const decoded = decodeDeliveryPush(body(encodeDeliveryPush(handle, messages as PushedMessage[])));
      assert.equal(decoded.handle, handle);
      // fast-check records have a null prototype; compare plain copies.
      assert.deepEqual(
        decoded.messages,
        messages.map((m) => ({ ...m, headers: m.headers.map((h) => ({ ...h })) })),
      );
    }),
    { seed, numRuns: 300 },
  );
  assert.deepEqual(decodeConsumerClosedPush(body(encodeConsumerClosedPush(7, 'subscription deleted'))), {
    handle: 7,
    reason: 'subscription deleted',
  });
});

test('random and truncated push bodies decode or throw the typed error, never allocate a lying count', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      for (const decode of [decodeDeliveryPush, decodeConsumerClosedPush]) {
        try {
          decode(Buffer.from(bytes));
        } catch (error) {
          assert.ok(error instanceof FerryError && error.code === ErrorCode.INVALID_REQUEST, String(error));
        }
      }
    }),
    { seed, numRuns: 3000 },
  );
  const valid = body(
    encodeDeliveryPush(1, [{ partition: 0, offset: 5, timestamp: 1, key: null, value: Buffer.from('v'), headers: [], deliveryCount: 1 }]),
  );
  for (let cut = 0; cut < valid.length; cut++)
    assert.throws(() => decodeDeliveryPush(valid.subarray(0, cut)), { code: ErrorCode.INVALID_REQUEST });
  const lying = Buffer.from(valid);
  lying.writeInt32BE(0x7fff_ffff, 4); // message count
  assert.throws(() => decodeDeliveryPush(lying), { code: ErrorCode.INVALID_REQUEST });
});

test('malformed queue requests get INVALID_REQUEST and the connection keeps serving', async (t) => {
  const logger = new RecordingLogger();
  const { server } = await startRealBroker(t, { logger });
  const raw = await RawClient.open(server.port);
  t.after(() => raw.close());
  // An Ack whose offset count claims more than the body holds.
  const ack = Buffer.concat(encodeRequest(ackApi, 1, 900, { handle: 1, partitions: [{ partition: 0, offsets: [1, 2, 3] }] }));
  ack.writeInt32BE(0x7fff_ffff, 14 + 4 + 4 + 4 + 8);
  raw.writeRaw(ack);
  const ackAnswer = await raw.response(900);
  assert.throws(() => decodeResponse(ackApi, 1, ackAnswer.body), { code: ErrorCode.INVALID_REQUEST });
  // A Nack for a handle this connection never made.
  const nackId = raw.send(nackApi, { handle: 42, delayMs: -1, partitions: [{ partition: 0, offsets: [0] }] });
  const nackAnswer = await raw.response(nackId);
  assert.throws(() => decodeResponse(nackApi, 1, nackAnswer.body), { code: ErrorCode.INVALID_REQUEST });
  // A Subscribe with a NaN backoff factor and one with a bad mode.
  const subscribe = Buffer.concat(
    encodeRequest(subscribeApi, 1, 901, {
      topic: 't',
      subscription: 's',
      mode: 'shared',
      prefetch: -1,
      ackTimeoutMs: -1,
      consumerId: null,
      createIfMissing: true,
      create: { backoff: { factor: 2 } },
    }),
  );
  // The body ends `factor f64, jitter f64, hasLimits bool`.
  subscribe.writeDoubleBE(Number.NaN, subscribe.length - 1 - 8 - 8);
  raw.writeRaw(subscribe);
  const nanAnswer = await raw.response(901);
  assert.throws(() => decodeResponse(subscribeApi, 1, nanAnswer.body), { code: ErrorCode.INVALID_REQUEST });
  const badMode = raw.send(subscribeApi, {
    topic: 't',
    subscription: 's',
    mode: 'sideways' as 'shared',
    prefetch: -1,
    ackTimeoutMs: -1,
    consumerId: null,
    createIfMissing: true,
    create: {},
  });
  const badModeAnswer = await raw.response(badMode);
  assert.throws(() => decodeResponse(subscribeApi, 1, badModeAnswer.body));
  // Still serving.
  assert.deepEqual(await raw.call(listSubscriptionsApi, { topic: null }), { subscriptions: [] });
  assert.equal(raw.isClosed, false);
});

test('a queue consumer that never reads its socket cannot make the broker buffer without bound', async (t) => {
  const { server, url, broker } = await startRealBroker(t, { limits: { maxPushBufferedBytes: 256 * 1024 } });
  const client = await connect(url);
  t.after(() => client.close());
  await client.admin().createTopic({ name: 'flood', partitions: 1 });
  const raw = await RawClient.open(server.port);
  t.after(() => raw.close());
  const id = raw.send(subscribeApi, {
    topic: 'flood',
    subscription: 'slow',
    mode: 'shared',
    prefetch: 5000,
    ackTimeoutMs: 200,
    consumerId: 'reader-that-sleeps',
    createIfMissing: true,
    create: { backoff: { minMs: 1, maxMs: 1 } },
  });
  await raw.response(id);
  raw.socket.pause(); // stops reading: pushes pile up in the kernel, then in the server's socket
  const producer = client.producer({ idempotent: false });
  const value = Buffer.alloc(1000, 1);
  await producer.sendBatch(Array.from({ length: 20_000 }, () => ({ topic: 'flood', value })));
  await producer.close();
  // Deadlines expire every 200 ms and would refill the consumer's credit without the hold.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const described = await broker.describeSubscription('flood', 'slow');
  const consumer = described.consumers.find((c) => c.id === 'reader-that-sleeps');
  assert.ok(consumer, 'still attached');
  assert.equal(consumer.prefetch, 1, 'held at prefetch 1 while the client does not read');
  assert.ok(consumer.inFlight <= 1, `in flight ${consumer.inFlight}`);
  assert.ok(described.redeliveries < 5000 + 50, `redeliveries ${described.redeliveries}`);
  raw.socket.resume();
  const push = await raw.waitFor((frame) => frame.type === FrameType.push && frame.apiKey === 1);
  assert.ok(push, 'deliveries resume once the client reads');
});

test('the fast and the zero-copy push encoders write the same bytes', () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 10 }), (messages) => {
      const small = messages.map((m) => ({ ...m, value: m.value && m.value.length >= 4096 ? m.value.subarray(0, 100) : m.value }));
      const big = [...small, { ...small[0]!, value: Buffer.alloc(5000, 7) }];
      const fast = Buffer.concat(encodeDeliveryPush(3, small as PushedMessage[]));
      const viaWriter = Buffer.concat(encodeDeliveryPush(3, big as PushedMessage[]));
      const decodedBig = decodeDeliveryPush(viaWriter.subarray(14));
      assert.deepEqual(decodeDeliveryPush(fast.subarray(14)).messages, decodedBig.messages.slice(0, -1));
      assert.equal(decodedBig.messages.at(-1)!.value!.length, 5000);
    }),
    { seed, numRuns: 200 },
  );
});

/** mulberry32: the seed replays the same mutations. */
function rng(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function mutateFrame(frame: Buffer, random: () => number): Buffer {
  const out = Buffer.from(frame);
  const kind = Math.floor(random() * 5);
  if (kind === 0) out.writeUInt32BE([0, 0xffffffff, 0x7fffffff, out.length + 9][Math.floor(random() * 4)]!, 0);
  else if (kind === 1) for (let i = 0; i < 4; i++) out[14 + Math.floor(random() * (out.length - 14))] = Math.floor(random() * 256);
  else if (kind === 2) {
    const cut = out.subarray(0, Math.max(14, out.length - 1 - Math.floor(random() * 12)));
    const fixed = Buffer.from(cut);
    fixed.writeUInt32BE(fixed.length - 4, 0);
    return fixed;
  } else if (kind === 3) out.fill(0xff, 14, Math.min(out.length, 22)); // counts and handle -1
  return out;
}

test('mutated queue frames on many connections leave the broker serving and no consumer behind', async (t) => {
  const random = rng(seed);
  const { server, url, broker } = await startRealBroker(t, { limits: { idleTimeoutMs: 2000, closeGraceMs: 100 } });
  const client = await connect(url);
  t.after(() => client.close());
  await client.admin().createTopic({ name: 'q', partitions: 2 });
  const producer = client.producer();
  await producer.sendBatch(Array.from({ length: 200 }, (_, i) => ({ topic: 'q', value: `v${i}` })));
  await producer.close();
  const subscribe = {
    topic: 'q',
    subscription: 'fz',
    mode: 'shared' as const,
    prefetch: 20,
    ackTimeoutMs: 60_000,
    consumerId: null,
    createIfMissing: true,
    create: { backoff: { minMs: 1, maxMs: 10, factor: 2, jitter: 0.1 }, limits: { maxRecords: 1000 } },
  };
  const offsets = [
    { partition: 0, offsets: [0, 1, 2] },
    { partition: 1, offsets: [5] },
  ];
  const frames = [
    encodeRequest(subscribeApi, 1, 2, subscribe),
    encodeRequest(ackApi, 1, 3, { handle: 1, partitions: offsets }),
    encodeRequest(nackApi, 1, 4, { handle: 1, delayMs: 5, partitions: offsets }),
    encodeRequest(listSubscriptionsApi, 1, 5, { topic: 'q' }),
  ].map((parts) => Buffer.concat(parts));
  const hello = Buffer.concat(
    encodeRequest(helloApi, 1, 1, { minProtocolVersion: 1, maxProtocolVersion: 2, clientId: 'fuzz', clientSoftware: 'x' }),
  );
  for (let round = 0; round < 60; round++) {
    const socket = netConnect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.on('data', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(hello);
    socket.write(frames[0]!); // a real consumer, so settles can reach it
    for (let i = 0; i < 4; i++) socket.write(mutateFrame(frames[Math.floor(random() * frames.length)]!, random));
    await new Promise((resolve) => setTimeout(resolve, 5));
    socket.destroy();
  }
  // Every fuzzing connection's consumer is gone (its records back in the queue); a healthy
  // consumer gets whatever the well-formed fuzz acks did not settle, until nothing is left.
  const sub = await client.subscribe({ topic: 'q', subscription: 'fz' });
  let received = 0;
  const reading = sub.run({
    eachMessage: () => {
      received++;
    },
  });
  const deadline = Date.now() + 20_000;
  let described = await broker.describeSubscription('q', 'fz');
  while ((described.backlog > 0 || described.consumers.length > 1) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    described = await broker.describeSubscription('q', 'fz');
  }
  assert.equal(described.consumers.length, 1, 'only the healthy consumer is attached');
  assert.equal(described.backlog, 0, `backlog ${described.backlog} after ${received} received`);
  assert.ok(received > 0);
  await sub.close();
  await reading;
});
