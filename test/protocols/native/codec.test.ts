import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';
import {
  alterTopicConfigApi,
  brokerConfigApi,
  commitOffsetsApi,
  createPartitionsApi,
  createTopicsApi,
  deleteGroupsApi,
  deleteRecordsApi,
  deleteTopicsApi,
  describeGroupApi,
  describeTopicApi,
  fetchApi,
  fetchOffsetsApi,
  heartbeatApi,
  helloApi,
  initProducerIdApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  listOffsetsApi,
  listTopicsApi,
  metadataApi,
  produceApi,
  syncGroupApi,
  type TopicDescription,
  ALL_APIS,
} from '../../../src/protocols/native/apis/index.ts';
import {
  type ApiSpec,
  decodeErrorFrame,
  decodeRequest,
  decodeResponse,
  encodeErrorFrame,
  encodeErrorResponse,
  encodeRequest,
  encodeResponse,
} from '../../../src/protocols/native/codec.ts';
import { ApiKey } from '../../../src/protocols/native/constants.ts';
import { errorCodeFromWire, errorCodeToWire, wireCodeTable } from '../../../src/protocols/native/error-codes.ts';
import { decodeFrames } from '../../../src/protocols/native/frames.ts';
import { WireReader, WireWriter } from '../../../src/protocols/native/wire.ts';

/** Encodes a request and a response into whole frames and decodes them back. */
function roundTrip<Req, Res>(spec: ApiSpec<Req, Res>, request: Req, response: Res): { request: Req; response: Res } {
  const requestFrames = decodeFrames(Buffer.concat(encodeRequest(spec, 1, 42, request)), 1 << 30);
  assert.equal(requestFrames.error, null);
  const [requestFrame] = requestFrames.frames;
  assert.equal(requestFrame!.apiKey, spec.key);
  assert.equal(requestFrame!.correlationId, 42);
  const responseFrames = decodeFrames(Buffer.concat(encodeResponse(spec, 1, 42, response)), 1 << 30);
  return {
    request: decodeRequest(spec, 1, requestFrame!.body),
    response: decodeResponse(spec, 1, responseFrames.frames[0]!.body),
  };
}

function assertRoundTrip<Req, Res>(spec: ApiSpec<Req, Res>, request: Req, response: Res): void {
  const decoded = roundTrip(spec, request, response);
  assert.deepEqual(decoded.request, request, `${spec.name} request`);
  assert.deepEqual(decoded.response, response, `${spec.name} response`);
}

const topic: TopicDescription = {
  name: 'orders',
  topicId: 'ab'.repeat(16),
  isInternal: false,
  partitions: [
    {
      partition: 0,
      leader: 0,
      replicas: [0],
      isr: [0],
      leaderEpoch: 3,
      logStartOffset: 5,
      logEndOffset: 2 ** 40,
      highWatermark: 2 ** 40 - 1,
      sizeBytes: 123456789,
      isOffline: false,
    },
  ],
  config: { 'retention.ms': '1000', 'cleanup.policy': 'compact' },
  overrides: { 'retention.ms': '1000' },
};

test('every api round-trips its request and response', () => {
  const err = new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'no such topic');
  assertRoundTrip(
    helloApi,
    { minProtocolVersion: 1, maxProtocolVersion: 3, clientId: 'ü-client', clientSoftware: 'ferrymq-client/0.1.0' },
    {
      protocolVersion: 1,
      nodeId: 0,
      serverSoftware: 'ferry',
      maxFrameBytes: 1 << 26,
      maxInFlightBytes: 1 << 25,
      maxInFlightRequests: 1024,
      apis: [{ apiKey: 20, minVersion: 1, maxVersion: 1 }],
    },
  );
  assertRoundTrip(
    metadataApi,
    { topics: null, allowAutoTopicCreation: false },
    {
      nodeId: 0,
      nodes: [{ nodeId: 0, host: '127.0.0.1', port: 9092 }],
      topics: [
        {
          name: 'a',
          error: null,
          isInternal: false,
          partitions: [{ partition: 0, leader: 0, leaderEpoch: 1, replicas: [0], isr: [0], isOffline: false }],
        },
        { name: 'b', error: err, isInternal: false, partitions: [] },
      ],
    },
  );
  assertRoundTrip(metadataApi, { topics: ['a', 'b'], allowAutoTopicCreation: true }, { nodeId: 0, nodes: [], topics: [] });
  assertRoundTrip(
    createTopicsApi,
    { topics: [{ name: 'orders', partitions: -1, replicationFactor: -1, config: { 'retention.ms': '5' } }], validateOnly: true },
    {
      topics: [
        { name: 'orders', error: null, topic },
        { name: 'x', error: err, topic: null },
      ],
    },
  );
  assertRoundTrip(
    deleteTopicsApi,
    { names: ['a', 'b'] },
    {
      topics: [
        { name: 'a', error: null },
        { name: 'b', error: err },
      ],
    },
  );
  assertRoundTrip(listTopicsApi, { includeInternal: true }, { topics: [{ name: 'a', partitionCount: 3, isInternal: false }] });
  assertRoundTrip(describeTopicApi, { name: 'orders' }, topic);
  assertRoundTrip(createPartitionsApi, { name: 'orders', totalCount: 6 }, topic);
  assertRoundTrip(alterTopicConfigApi, { name: 'orders', set: { 'retention.ms': '9' }, remove: ['segment.ms'] }, topic);
  assertRoundTrip(brokerConfigApi, {}, { config: { 'num.partitions': '1' } });
  const records = Buffer.alloc(10_000, 3);
  assertRoundTrip(
    produceApi,
    {
      acks: -1,
      timeoutMs: 30_000,
      partitions: [
        { topic: 'orders', partition: 2, records },
        { topic: 'orders', partition: 0, records: Buffer.from('small') },
      ],
    },
    {
      partitions: [
        { topic: 'orders', partition: 2, error: null, baseOffset: 2 ** 35, logAppendTimeMs: -1, logStartOffset: 0, isDuplicate: true },
        { topic: 'orders', partition: 0, error: err, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, isDuplicate: false },
      ],
    },
  );
  assertRoundTrip(
    fetchApi,
    {
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 'read_committed',
      partitions: [{ topic: 'orders', partition: 1, offset: 77, maxBytes: 1 << 20 }],
    },
    { partitions: [{ topic: 'orders', partition: 1, error: null, highWatermark: 100, lastStableOffset: 100, logStartOffset: 0, records }] },
  );
  assertRoundTrip(
    listOffsetsApi,
    { partitions: [{ topic: 'a', partition: 0, timestamp: -2 }] },
    { partitions: [{ topic: 'a', partition: 0, error: null, offset: 5, timestamp: -1, leaderEpoch: 0 }] },
  );
  assertRoundTrip(
    deleteRecordsApi,
    { partitions: [{ topic: 'a', partition: 0, beforeOffset: 10 }] },
    { partitions: [{ topic: 'a', partition: 0, error: null, logStartOffset: 10 }] },
  );
  assertRoundTrip(initProducerIdApi, { transactionalId: null, producerId: -1, producerEpoch: -1 }, { producerId: 4000, producerEpoch: 2 });
  assertRoundTrip(
    joinGroupApi,
    {
      groupId: 'g',
      memberId: '',
      groupInstanceId: null,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }],
    },
    {
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leaderId: 'm-1',
      memberId: 'm-1',
      members: [{ memberId: 'm-1', groupInstanceId: 'i', metadata: Buffer.from([9]) }],
    },
  );
  assertRoundTrip(
    syncGroupApi,
    { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [{ memberId: 'm', assignment: Buffer.from([1]) }] },
    { protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from([4, 5]) },
  );
  assertRoundTrip(heartbeatApi, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }, {});
  assertRoundTrip(leaveGroupApi, { groupId: 'g', members: [{ memberId: 'm', groupInstanceId: null }] }, {});
  assertRoundTrip(
    commitOffsetsApi,
    {
      groupId: 'g',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      offsets: [{ topic: 'a', partition: 0, offset: 3, leaderEpoch: -1, metadata: null }],
    },
    {},
  );
  assertRoundTrip(
    fetchOffsetsApi,
    { groupId: 'g', partitions: null },
    { offsets: [{ topic: 'a', partition: 0, offset: -1, leaderEpoch: -1, metadata: 'meta' }] },
  );
  assertRoundTrip(fetchOffsetsApi, { groupId: 'g', partitions: [{ topic: 'a', partition: 1 }] }, { offsets: [] });
  assertRoundTrip(listGroupsApi, {}, { groups: [{ groupId: 'g', protocolType: 'consumer', state: 'CompletingRebalance' }] });
  assertRoundTrip(
    describeGroupApi,
    { groupId: 'g' },
    {
      groupId: 'g',
      state: 'Stable',
      protocolType: 'consumer',
      protocolName: 'range',
      generationId: 4,
      leaderId: null,
      members: [
        {
          memberId: 'm',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '127.0.0.1',
          metadata: Buffer.from([1]),
          assignment: Buffer.from([2]),
          assignedPartitions: [{ topic: 'a', partitions: [0, 2] }],
        },
      ],
      offsets: [{ topic: 'a', partition: 0, committedOffset: 5, logEndOffset: 9, lag: 4, memberId: 'm' }],
    },
  );
  assertRoundTrip(
    deleteGroupsApi,
    { groupIds: ['g', 'h'] },
    {
      groups: [
        { groupId: 'g', error: null },
        { groupId: 'h', error: err },
      ],
    },
  );
});

test('the api list covers every api key once', () => {
  const keys = ALL_APIS.map((api) => api.key).sort((a, b) => a - b);
  assert.deepEqual(
    keys,
    Object.values(ApiKey).sort((a, b) => a - b),
  );
});

test('error responses carry the stable code and message', () => {
  const frame = decodeFrames(
    Buffer.concat(encodeErrorResponse(ApiKey.produce, 1, 9, new FerryError(ErrorCode.NOT_LEADER, 'moved'))),
    1 << 20,
  ).frames[0]!;
  assert.throws(
    () => decodeResponse(produceApi, 1, frame.body),
    (error: unknown) => {
      assert.ok(error instanceof FerryError);
      assert.equal(error.code, ErrorCode.NOT_LEADER);
      assert.equal(error.message, 'moved');
      assert.equal(error.isRetriable, true);
      return true;
    },
  );
  const errorFrame = decodeFrames(encodeErrorFrame(0, new FerryError(ErrorCode.FRAME_TOO_LARGE, 'big')), 1 << 20).frames[0]!;
  assert.equal(decodeErrorFrame(errorFrame).code, ErrorCode.FRAME_TOO_LARGE);
});

test('the error code table is one-to-one and covers every ErrorCode', () => {
  const table = wireCodeTable();
  assert.equal(new Set(table.map((row) => row.wire)).size, table.length);
  assert.deepEqual(new Set(table.map((row) => row.code)), new Set(Object.values(ErrorCode)));
  for (const code of Object.values(ErrorCode)) assert.equal(errorCodeFromWire(errorCodeToWire(code)), code);
  assert.equal(errorCodeFromWire(0), null);
  assert.equal(errorCodeFromWire(60_000), ErrorCode.UNKNOWN_SERVER_ERROR, 'a code from a newer server is still typed');
});

test('wire reader refuses truncation, trailing bytes and impossible counts', () => {
  assert.throws(() => new WireReader(Buffer.from([0, 5, 65])).string(), { code: ErrorCode.INVALID_REQUEST });
  assert.throws(() => new WireReader(Buffer.from([0x7f, 0xff, 0xff, 0xf0])).array((r) => r.u8()), /cannot fit/);
  const reader = new WireReader(Buffer.from([1, 2]));
  reader.u8();
  assert.throws(() => reader.end(), /1 unexpected bytes/);
  assert.throws(() => new WireReader(Buffer.from([2])).bool(), { code: ErrorCode.INVALID_REQUEST });
  const big = new WireWriter().i64(2 ** 60).finish();
  assert.throws(() => new WireReader(Buffer.concat(big)).i64(), /beyond 2\^53/);
});

test('wire writer references large blobs without copying them', () => {
  const blob = Buffer.alloc(8192, 1);
  const parts = new WireWriter().string('t').bytes(blob).u8(7).finish();
  assert.ok(parts.includes(blob));
  const reader = new WireReader(Buffer.concat(parts));
  assert.equal(reader.string(), 't');
  assert.deepEqual(reader.bytes(), blob);
  assert.equal(reader.u8(), 7);
  reader.end();
});

test('int64 fields keep negative and large values exactly', () => {
  for (const value of [0, -1, -2, 1, 2 ** 32, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    const reader = new WireReader(Buffer.concat(new WireWriter().i64(value).finish()));
    assert.equal(reader.i64(), value);
  }
});

test('docs/native-protocol.md lists every error code with its wire number', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../../docs/native-protocol.md', import.meta.url), 'utf8');
  for (const { code, wire } of wireCodeTable()) assert.ok(doc.includes(`| ${wire} | \`${code}\` |`), `${code} = ${wire} is documented`);
  for (const api of ALL_APIS) assert.ok(doc.includes(`### ${api.name} (${api.key})`), `${api.name} is documented`);
});
