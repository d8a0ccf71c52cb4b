import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { encodeRecordBatch } from '../../../src/common/record-batch.ts';
import { apiVersionsApi } from '../../../src/protocols/kafka/apis/api-versions.ts';
import { fetchApi } from '../../../src/protocols/kafka/apis/fetch.ts';
import { metadataApi } from '../../../src/protocols/kafka/apis/metadata.ts';
import { produceApi } from '../../../src/protocols/kafka/apis/produce.ts';
import { KafkaErrorCode } from '../../../src/protocols/kafka/error-codes.ts';
import { startKafka } from './helpers.ts';
import { parseResponse, RawClient, requestFrame } from './raw-client.ts';

const apiVersionsV3 = (correlationId: number) =>
  requestFrame(apiVersionsApi, 3, correlationId, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });

function fetchOnce(correlationId: number, topic: string, maxWaitMs: number): Buffer {
  return requestFrame(fetchApi, 11, correlationId, { ...fetchRequestBody(topic), maxWaitMs });
}

function fetchRequestBody(topic: string) {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: null,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: '0'.repeat(32),
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: 0,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: 1024 * 1024,
            replicaDirectoryId: null,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

function produceFrame(correlationId: number, topic: string, acks: number, values: string[]): Buffer {
  const batch = encodeRecordBatch({ records: values.map((v) => ({ value: Buffer.from(v) })) });
  return requestFrame(produceApi, 7, correlationId, {
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
}

/** A healthy kafkajs client still works: the broker outlived whatever the test sent. */
async function assertServing(bootstrap: string): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  assert.ok(Array.isArray(await admin.listTopics()));
  await admin.disconnect();
}

describe('kafka session', () => {
  test('ApiVersions v3 is answered with header v0 and every served api', async (t) => {
    const h = await startKafka(t);
    const client = await RawClient.open(h.server.port);
    client.send(apiVersionsV3(7));
    const [frame] = await client.waitFrames(1);
    const response = parseResponse(apiVersionsApi, 3, frame!);
    assert.equal(response.correlationId, 7);
    assert.equal(response.body.errorCode, 0);
    const produce = response.body.apiKeys.find((k) => k.apiKey === 0);
    assert.deepEqual(produce, { apiKey: 0, minVersion: 0, maxVersion: 11 });
    assert.equal(response.body.apiKeys.length, 25);
    client.close();
  });

  test('an ApiVersions version from the future gets a v0 answer with UNSUPPORTED_VERSION', async (t) => {
    const h = await startKafka(t);
    const client = await RawClient.open(h.server.port);
    const frame = apiVersionsV3(9);
    frame.writeInt16BE(42, 6); // apiVersion
    client.send(frame);
    const [answer] = await client.waitFrames(1);
    const response = parseResponse(apiVersionsApi, 0, answer!);
    assert.equal(response.correlationId, 9);
    assert.equal(response.body.errorCode, KafkaErrorCode.UNSUPPORTED_VERSION);
    assert.deepEqual(
      response.body.apiKeys.find((k) => k.apiKey === 18),
      { apiKey: 18, minVersion: 0, maxVersion: 3 },
    );
    client.close();
  });

  const malformed: [string, () => Buffer][] = [
    [
      'an unknown api key',
      () => {
        const frame = apiVersionsV3(1);
        frame.writeInt16BE(999, 4);
        return frame;
      },
    ],
    [
      'an unsupported version of a known api (Produce v12)',
      () => {
        const frame = produceFrame(1, 't', 1, ['x']);
        frame.writeInt16BE(12, 6);
        return frame;
      },
    ],
    ['a negative size', () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 3, 0, 1, 0, 0, 0, 1])],
    ['a size above maxRequestBytes', () => Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 1])],
    ['a size smaller than a header', () => Buffer.from([0, 0, 0, 3, 0, 3, 0])],
    [
      'a lying array count in the body',
      () => {
        // Metadata v1: topics array claims 1,000,000 entries, none follow.
        const frame = Buffer.from([0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x0f, 0x42, 0x40]);
        frame.writeInt32BE(frame.length - 4, 0);
        return frame;
      },
    ],
    [
      'a lying client id length in the header',
      () => {
        const frame = Buffer.from([0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 1, 0x7f, 0x00, 0x61]);
        frame.writeInt32BE(frame.length - 4, 0);
        return frame;
      },
    ],
    [
      'a truncated body',
      () => {
        const whole = produceFrame(1, 'topic', 1, ['value']);
        const cut = whole.subarray(0, whole.length - 20);
        const frame = Buffer.from(cut);
        frame.writeInt32BE(frame.length - 4, 0);
        return frame;
      },
    ],
  ];

  for (const [name, build] of malformed) {
    test(`${name} closes the connection and the broker keeps serving others`, async (t) => {
      const h = await startKafka(t);
      const bystander = await RawClient.open(h.server.port);
      const client = await RawClient.open(h.server.port);
      client.send(build());
      await client.waitClosed();
      assert.equal(client.frames.length, 0, 'no answer to a request that cannot be answered');
      bystander.send(apiVersionsV3(5));
      const [answer] = await bystander.waitFrames(1);
      assert.equal(parseResponse(apiVersionsApi, 3, answer!).correlationId, 5);
      bystander.close();
      await assertServing(h.bootstrap);
    });
  }

  test('a request cut off by the client ending its side closes the connection', async (t) => {
    const h = await startKafka(t);
    const client = await RawClient.open(h.server.port);
    client.send(apiVersionsV3(1).subarray(0, 10));
    client.socket.end();
    await client.waitClosed();
    await assertServing(h.bootstrap);
  });

  test('answers pipelined requests in request order, even when a later one finishes first', async (t) => {
    const h = await startKafka(t);
    await h.broker.createTopic('empty', { partitions: 1 });
    const client = await RawClient.open(h.server.port);
    // A long poll on an empty topic, then an instant ApiVersions, then a Metadata: one write.
    client.send(
      Buffer.concat([
        fetchOnce(1, 'empty', 300),
        apiVersionsV3(2),
        requestFrame(metadataApi, 1, 3, {
          topics: [],
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        }),
      ]),
    );
    const started = Date.now();
    const frames = await client.waitFrames(3);
    assert.deepEqual(
      frames.map((f) => f.readInt32BE(0)),
      [1, 2, 3],
    );
    assert.ok(Date.now() - started >= 250, 'the fetch waited for its max wait before anything was written');
    client.close();
  });

  test('acks=0 produce gets no response, and the records are stored at the offsets the broker reports', async (t) => {
    const h = await startKafka(t);
    await h.broker.createTopic('fire', { partitions: 1 });
    const client = await RawClient.open(h.server.port);
    client.send(Buffer.concat([produceFrame(1, 'fire', 0, ['a', 'b']), produceFrame(2, 'fire', 1, ['c']), apiVersionsV3(3)]));
    const frames = await client.waitFrames(2);
    assert.deepEqual(
      frames.map((f) => f.readInt32BE(0)),
      [2, 3],
    );
    const produced = parseResponse(produceApi, 7, frames[0]!);
    assert.equal(produced.body.responses[0]?.partitionResponses[0]?.baseOffset, 2);
    client.close();
  });

  test('Produce v2 and Fetch v3 (message format v0/v1) are answered UNSUPPORTED_FOR_MESSAGE_FORMAT per partition', async (t) => {
    const h = await startKafka(t);
    await h.broker.createTopic('modern', { partitions: 1 });
    const client = await RawClient.open(h.server.port);
    const batch = encodeRecordBatch({ records: [{ value: Buffer.from('v') }] });
    client.send(
      requestFrame(produceApi, 2, 1, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: 'modern', partitionData: [{ index: 0, records: batch }] }],
      }),
    );
    client.send(requestFrame(fetchApi, 3, 2, fetchRequestBody('modern')));
    const frames = await client.waitFrames(2);
    const produced = parseResponse(produceApi, 2, frames[0]!).body;
    assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    const fetched = parseResponse(fetchApi, 3, frames[1]!).body;
    assert.equal(fetched.responses[0]?.partitions[0]?.errorCode, KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    assert.equal(h.broker.describeTopic('modern').partitions[0]?.logEndOffset, 0, 'nothing was stored');
    client.close();
  });

  test('acks=0 produce to a missing topic closes the connection, as Kafka does', async (t) => {
    const h = await startKafka(t);
    const client = await RawClient.open(h.server.port);
    client.send(produceFrame(1, 'no-such-topic', 0, ['a']));
    await client.waitClosed();
    assert.equal(client.frames.length, 0);
  });

  test('a connection above maxConnections is closed at once', async (t) => {
    const h = await startKafka(t, { limits: { maxConnections: 2 } });
    const first = await RawClient.open(h.server.port);
    const second = await RawClient.open(h.server.port);
    const third = await RawClient.open(h.server.port);
    await third.waitClosed();
    first.send(apiVersionsV3(1));
    await first.waitFrames(1);
    first.close();
    second.close();
  });

  test('a client that does not read its responses stops being read: broker memory stays bounded', async (t) => {
    const h = await startKafka(t, { limits: { maxInFlightBytesPerConnection: 1024 * 1024 } });
    await h.broker.createTopic('big', { partitions: 1 });
    const value = 'x'.repeat(512 * 1024);
    for (let i = 0; i < 4; i++) {
      await h.broker.produce({
        topic: 'big',
        partition: 0,
        acks: 1,
        batches: encodeRecordBatch({ records: [{ value: Buffer.from(value) }] }),
      });
    }
    const client = await RawClient.open(h.server.port);
    client.socket.pause();
    const requests = 100_000; // Each answer is ~2 MiB: 200 GiB if the broker buffered them all.
    const before = process.memoryUsage().arrayBuffers;
    let written = 0;
    const writeMore = () => {
      while (written < requests) {
        written++;
        if (!client.socket.write(fetchOnce(written, 'big', 0))) return;
      }
    };
    client.socket.on('drain', writeMore);
    writeMore();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const grownBytes = process.memoryUsage().arrayBuffers - before;
    t.diagnostic(`requests taken: ${written}, buffers grown: ${grownBytes} bytes`);
    assert.ok(written < requests, `the broker stopped reading (${written} of ${requests} requests were taken)`);
    assert.ok(grownBytes < 256 * 1024 * 1024, `buffers grew by ${grownBytes} bytes`);
    client.close();
    await assertServing(h.bootstrap);
  });
});
