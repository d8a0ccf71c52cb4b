import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';
import { RecordingLogger } from '../../../src/common/logger.ts';
import { apiVersionsApi } from '../../../src/protocols/kafka/apis/api-versions.ts';
import { KAFKA_APIS } from '../../../src/protocols/kafka/apis/index.ts';
import { readRequestHeader, readRequestPrefix } from '../../../src/protocols/kafka/header.ts';
import { decodeMessage, inRange } from '../../../src/protocols/kafka/protocol/schema.ts';
import type { CapturedFrame } from './fixtures/capture.ts';
import { startKafka } from './helpers.ts';
import { parseResponse, RawClient, requestFrame } from './raw-client.ts';
import { testSeed } from './seed.ts';

const seed = testSeed();
const captured: Buffer[] = ['kafkajs', 'librdkafka', 'platformatic'].flatMap((name) =>
  (JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8')) as CapturedFrame[]).map((f) =>
    Buffer.from(f.hex, 'hex'),
  ),
);

/** A captured frame with a few bytes overwritten (often lengths: 0, -1, 2^31-1), or cut short. */
const mutatedFrames = fc
  .record({
    frame: fc.constantFrom(...captured),
    writes: fc.array(
      fc.record({ at: fc.nat(), value: fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x01), span: fc.integer({ min: 1, max: 4 }) }),
      { minLength: 1, maxLength: 4 },
    ),
    cut: fc.option(fc.nat(), { nil: null }),
  })
  .map(({ frame, writes, cut }) => {
    const out = Buffer.from(frame);
    for (const { at, value, span } of writes) {
      // Past the size prefix and the api key/version, so the schema (not the router) is fuzzed.
      const start = 8 + (at % Math.max(1, out.length - 8));
      out.fill(value, start, Math.min(out.length, start + span));
    }
    return cut === null ? out : out.subarray(0, 8 + (cut % Math.max(1, out.length - 8)));
  });

describe('kafka fuzzing with mutated captured frames', () => {
  test('decoding a mutated request returns a value or throws INVALID_REQUEST, nothing else', () => {
    fc.assert(
      fc.property(mutatedFrames, (bytes) => {
        const payload = bytes.subarray(4);
        try {
          const prefix = readRequestPrefix(payload);
          const api = KAFKA_APIS.get(prefix.apiKey);
          if (!api) return;
          const header = readRequestHeader(payload, prefix, inRange(api.request.flexibleVersions, prefix.apiVersion));
          decodeMessage(api.request, prefix.apiVersion, header.body);
        } catch (error) {
          assert.ok(error instanceof FerryError, `threw ${String(error)}`);
          assert.equal(error.code, ErrorCode.INVALID_REQUEST);
        }
      }),
      { seed, numRuns: 5000 },
    );
  });

  test('a stream of mutated frames on live connections never takes the broker down', async (t) => {
    const logger = new RecordingLogger();
    const h = await startKafka(t, { limits: { closeGraceMs: 100 }, logger });
    const samples = fc.sample(mutatedFrames, { seed, numRuns: 150 });
    for (let i = 0; i < samples.length; i += 10) {
      // Ten connections at a time, each sent one mutated frame and closed shortly after: valid
      // long requests (a JoinGroup, a long poll) are allowed to take their time.
      const clients = await Promise.all(samples.slice(i, i + 10).map(() => RawClient.open(h.server.port)));
      clients.forEach((client, j) => {
        client.send(samples[i + j]!);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const client of clients) client.close();
    }
    const healthy = await RawClient.open(h.server.port);
    healthy.send(requestFrame(apiVersionsApi, 3, 99, { clientSoftwareName: 'after-fuzz', clientSoftwareVersion: '1' }));
    const [answer] = await healthy.waitFrames(1);
    assert.equal(parseResponse(apiVersionsApi, 3, answer!).body.errorCode, 0);
    healthy.close();
    // Bad input is the client's fault: warnings at most, never an unexpected failure inside.
    const errors = logger.lines.filter((line) => line.level === 'error');
    assert.deepEqual(errors, []);
  });
});
