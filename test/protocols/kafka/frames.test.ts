import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { KAFKA_APIS } from '../../../src/protocols/kafka/apis/index.ts';
import { readRequestHeader, readRequestPrefix } from '../../../src/protocols/kafka/header.ts';
import { decodeMessage, encodeMessage, inRange } from '../../../src/protocols/kafka/protocol/schema.ts';
import type { CapturedFrame } from './fixtures/capture.ts';

/** Request frames captured from real clients by fixtures/capture.ts (the first of each api key
 *  and version they sent while creating topics, producing, consuming in a group and running
 *  admin calls). */
function fixtures(name: string): CapturedFrame[] {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8')) as CapturedFrame[];
}

interface Decoded {
  clientId: string | null;
  body: Record<string, unknown>;
}

function decodeFrame(frame: CapturedFrame): Decoded {
  const bytes = Buffer.from(frame.hex, 'hex');
  assert.equal(bytes.readInt32BE(0), bytes.length - 4, 'size prefix matches the frame');
  const payload = bytes.subarray(4);
  const prefix = readRequestPrefix(payload);
  const api = KAFKA_APIS.get(prefix.apiKey);
  assert.ok(api, `api key ${prefix.apiKey} is served`);
  assert.ok(prefix.apiVersion >= api.minVersion && prefix.apiVersion <= api.maxVersion, `${api.name} v${prefix.apiVersion} is served`);
  const header = readRequestHeader(payload, prefix, inRange(api.request.flexibleVersions, prefix.apiVersion));
  const body = decodeMessage(api.request, prefix.apiVersion, header.body);
  // The strongest check of a schema: the client's own bytes come back exactly.
  assert.deepEqual(
    encodeMessage(api.request, prefix.apiVersion, body).toBuffer(),
    header.body,
    `${api.name} v${prefix.apiVersion} re-encodes`,
  );
  return { clientId: header.clientId, body: body as Record<string, unknown> };
}

function find(frames: CapturedFrame[], apiKey: number): CapturedFrame {
  const frame = frames.find((f) => f.apiKey === apiKey);
  assert.ok(frame, `a captured frame for api key ${apiKey}`);
  return frame;
}

describe('captured kafkajs 2.2.4 requests', () => {
  const frames = fixtures('kafkajs');

  test('every captured request decodes and re-encodes to the same bytes', () => {
    assert.ok(frames.length >= 15);
    for (const frame of frames) assert.equal(decodeFrame(frame).clientId, 'fixture-client');
  });

  test('ApiVersions v2 comes first and carries no body', () => {
    const frame = find(frames, 18);
    assert.equal(frame.apiVersion, 2);
    assert.deepEqual(decodeFrame(frame).body, { clientSoftwareName: '', clientSoftwareVersion: '' });
  });

  test('CreateTopics v3 asks for two partitions of fixture-topic with the default replication', () => {
    const { body } = decodeFrame(find(frames, 19));
    const [topic] = body.topics as { name: string; numPartitions: number; replicationFactor: number }[];
    assert.equal(topic?.name, 'fixture-topic');
    assert.equal(topic?.numPartitions, 2);
    assert.equal(topic?.replicationFactor, -1);
  });

  test('Produce v7 carries one idempotent RecordBatch v2 with acks=all', () => {
    const { body } = decodeFrame(find(frames, 0));
    assert.equal(body.acks, -1);
    const [topic] = body.topicData as { name: string; partitionData: { records: Buffer }[] }[];
    assert.equal(topic?.name, 'fixture-topic');
    const records = topic!.partitionData[0]!.records;
    assert.equal(records.readInt8(16), 2, 'magic 2');
    assert.ok(records.readBigInt64BE(43) >= 0n, 'a producer id is set');
  });

  test('JoinGroup v5 offers the consumer protocol for fixture-group', () => {
    const { body } = decodeFrame(find(frames, 11));
    assert.equal(body.groupId, 'fixture-group');
    assert.equal(body.protocolType, 'consumer');
    assert.ok((body.protocols as unknown[]).length >= 1);
  });

  test('Fetch v11 names topics, reads committed and opens no fetch session', () => {
    const { body } = decodeFrame(find(frames, 1));
    assert.equal(body.sessionId, 0);
    assert.equal(body.sessionEpoch, -1);
    assert.equal(body.isolationLevel, 1, 'kafkajs reads committed by default');
    assert.equal((body.topics as { topic: string }[])[0]?.topic, 'fixture-topic');
  });
});

describe('captured librdkafka 2.0.2 (kcat) requests', () => {
  const frames = fixtures('librdkafka');

  test('every captured request decodes and re-encodes to the same bytes', () => {
    assert.ok(frames.length >= 8);
    for (const frame of frames) assert.equal(decodeFrame(frame).clientId, 'fixture-kcat');
  });

  test('ApiVersions v3 is flexible: header v2 and compact client software strings', () => {
    const frame = find(frames, 18);
    assert.equal(frame.apiVersion, 3);
    const { body } = decodeFrame(frame);
    assert.equal(body.clientSoftwareName, 'librdkafka');
    assert.match(String(body.clientSoftwareVersion), /^2\./);
  });

  test('Produce v7 carries a zstd-compressed batch', () => {
    const { body } = decodeFrame(find(frames, 0));
    const [topic] = body.topicData as { name: string; partitionData: { records: Buffer }[] }[];
    assert.equal(topic?.name, 'fixture-kcat');
    assert.equal(topic!.partitionData[0]!.records.readInt16BE(21) & 0x07, 4, 'compression codec 4 (zstd)');
  });
});

describe('captured @platformatic/kafka 2.12.1 requests (flexible versions)', () => {
  const frames = fixtures('platformatic');

  test('every captured request decodes and re-encodes to the same bytes', () => {
    assert.ok(frames.length >= 12);
    for (const frame of frames) assert.equal(decodeFrame(frame).clientId, 'fixture-platformatic');
  });

  test('it speaks the newest versions: Produce v11, Fetch v17, Metadata v12', () => {
    assert.equal(find(frames, 0).apiVersion, 11);
    assert.equal(find(frames, 1).apiVersion, 17);
    assert.equal(find(frames, 3).apiVersion, 12);
  });

  test('Fetch v17 names topics by id, not by name', () => {
    const { body } = decodeFrame(find(frames, 1));
    const [topic] = body.topics as { topic: string; topicId: string }[];
    assert.equal(topic?.topic, '', 'no name from v13');
    assert.match(topic?.topicId ?? '', /^[0-9a-f]{32}$/);
    assert.notEqual(topic?.topicId, '0'.repeat(32));
  });

  test('CreateTopics v7 is flexible: compact strings and arrays', () => {
    const { body } = decodeFrame(find(frames, 19));
    const [topic] = body.topics as { name: string; numPartitions: number; replicationFactor: number }[];
    assert.deepEqual([topic?.name, topic?.numPartitions, topic?.replicationFactor], ['fixture-flex', 2, 1]);
  });
});
