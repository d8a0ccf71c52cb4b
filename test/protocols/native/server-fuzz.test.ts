import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { RecordingLogger } from '../../../src/common/logger.ts';
import { fetchApi } from '../../../src/protocols/native/apis/fetch.ts';
import { helloApi } from '../../../src/protocols/native/apis/hello.ts';
import { produceApi } from '../../../src/protocols/native/apis/produce.ts';
import { createTopicsApi, listTopicsApi } from '../../../src/protocols/native/apis/topics.ts';
import { encodeRequest } from '../../../src/protocols/native/codec.ts';
import { startNativeServer } from '../../../src/protocols/native/server.ts';
import { FakeBroker } from './fake-broker.ts';
import { RawClient } from './raw-client.ts';
import { testSeed } from './seed.ts';

/** Small deterministic PRNG (mulberry32): the seed replays the exact same mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function captured(): Buffer[] {
  const frames = [
    encodeRequest(helloApi, 1, 1, { minProtocolVersion: 1, maxProtocolVersion: 1, clientId: 'fuzz', clientSoftware: 'x' }),
    encodeRequest(produceApi, 1, 2, {
      acks: -1,
      timeoutMs: 100,
      partitions: [{ topic: 't', partition: 0, records: Buffer.from('abcdef') }],
    }),
    encodeRequest(fetchApi, 1, 3, {
      maxWaitMs: 10,
      minBytes: 1,
      maxBytes: 1000,
      isolationLevel: 'read_uncommitted',
      partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1000 }],
    }),
    encodeRequest(createTopicsApi, 1, 4, {
      topics: [{ name: 'x', partitions: 1, replicationFactor: -1, config: { a: 'b' } }],
      validateOnly: true,
    }),
  ];
  return frames.map((parts) => Buffer.concat(parts));
}

function mutate(frame: Buffer, random: () => number): Buffer {
  const out = Buffer.from(frame);
  switch (Math.floor(random() * 7)) {
    case 0: // lying lengths: 0, -1, 2^31-1, off by a little
      out.writeUInt32BE([0, 0xffffffff, 0x7fffffff, out.length - 4 + 3, out.length - 4 - 3][Math.floor(random() * 5)]!, 0);
      return out;
    case 1: // truncated header
      return out.subarray(0, 4 + Math.floor(random() * 10));
    case 2: // flip random bytes in the body
      for (let i = 0; i < 3; i++) out[14 + Math.floor(random() * (out.length - 14))] = Math.floor(random() * 256);
      return out;
    case 3: // bad flags / frame type / api version
      out[4 + [0, 9, 3][Math.floor(random() * 3)]!] = Math.floor(random() * 256);
      return out;
    case 4: // invalid UTF-8 in the first string of the body (after Hello's magic and versions)
      if (out.length > 24) out.fill(0xff, 24, 26);
      return out;
    case 5: // body cut short with a consistent length
      return fixLength(out.subarray(0, Math.max(14, out.length - 1 - Math.floor(random() * 8))));
    default: // random garbage of the same size
      for (let i = 4; i < out.length; i++) out[i] = Math.floor(random() * 256);
      return out;
  }
}

function fixLength(frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  out.writeUInt32BE(out.length - 4, 0);
  return out;
}

test('mutated captured frames never take the server down and a healthy client is answered alongside', async (t) => {
  const seed = testSeed();
  const random = rng(seed);
  const broker = new FakeBroker();
  await broker.createTopic('t', { partitions: 1 });
  const server = await startNativeServer({
    broker,
    host: '127.0.0.1',
    port: 0,
    logger: new RecordingLogger(),
    limits: { maxFrameBytes: 1 << 20, idleTimeoutMs: 2000, closeGraceMs: 100 },
  });
  const healthy = await RawClient.open(server.port);
  t.after(async () => {
    healthy.close();
    await server.close();
  });
  const frames = captured();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let round = 0; round < 150; round++) {
    const socket = connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.on('data', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Usually a valid Hello first, so that the mutations reach the request paths.
    if (random() < 0.7) socket.write(frames[0]!);
    for (let i = 0; i < 4; i++) socket.write(mutate(frames[Math.floor(random() * frames.length)]!, random));
    await new Promise((resolve) => setTimeout(resolve, 2));
    socket.destroy();
    if (round % 25 === 0) assert.deepEqual((await healthy.call(listTopicsApi, { includeInternal: false })).topics.length, 1);
  }
  assert.equal((await healthy.call(listTopicsApi, { includeInternal: false })).topics[0]!.name, 't');
  const grownBytes = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grownBytes < 64 * 1024 * 1024, `heap grew ${grownBytes} bytes: lying lengths must not allocate`);
  const deadline = Date.now() + 3000;
  while (server.connectionCount > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(server.connectionCount, 1, 'every fuzzed connection was closed');
});
