import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FerryError } from '../../../src/common/errors.ts';
import { ALL_APIS } from '../../../src/protocols/native/apis/index.ts';
import { decodeRequest, decodeResponse } from '../../../src/protocols/native/codec.ts';
import { decodeFrames, FrameDecoder } from '../../../src/protocols/native/frames.ts';
import { testSeed } from './seed.ts';

const seed = testSeed();

function isTyped(error: unknown): boolean {
  return error instanceof FerryError;
}

test('random bytes decode to frames or a typed error, never a crash', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), fc.integer({ min: 10, max: 1024 }), (bytes, maxFrameBytes) => {
      const result = decodeFrames(Buffer.from(bytes), maxFrameBytes);
      if (result.error) assert.ok(isTyped(result.error));
      for (const frame of result.frames) assert.ok(frame.sizeBytes <= maxFrameBytes + 4);
    }),
    { seed, numRuns: 2000 },
  );
});

test('random bodies decode to a request/response or a typed error for every api', () => {
  fc.assert(
    fc.property(fc.constantFrom(...ALL_APIS), fc.uint8Array({ maxLength: 256 }), (spec, bytes) => {
      const body = Buffer.from(bytes);
      for (const decode of [() => decodeRequest(spec, 1, body), () => decodeResponse(spec, 1, body)]) {
        try {
          decode();
        } catch (error) {
          assert.ok(isTyped(error), `${spec.name}: ${String(error)}`);
        }
      }
    }),
    { seed, numRuns: 5000 },
  );
});

test('frames split at any chunk boundaries decode the same as whole', () => {
  const frame = (id: number, body: number[]) => {
    const buf = Buffer.alloc(14 + body.length);
    buf.writeUInt32BE(10 + body.length, 0);
    buf.writeUInt8(1, 4);
    buf.writeUInt16BE(20, 5);
    buf.writeUInt16BE(1, 7);
    buf.writeUInt32BE(id, 9);
    Buffer.from(body).copy(buf, 14);
    return buf;
  };
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
      (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map((body, i) => frame(i + 1, body)));
        const decoder = new FrameDecoder(1 << 20);
        const seen: { id: number; body: Buffer }[] = [];
        let at = 0;
        let cut = 0;
        while (at < stream.length) {
          const size = cuts[cut++ % cuts.length]!;
          decoder.push(stream.subarray(at, at + size));
          at += size;
          for (let f = decoder.next(); f; f = decoder.next()) seen.push({ id: f.correlationId, body: Buffer.from(f.body) });
        }
        assert.equal(decoder.bufferedBytes, 0);
        assert.deepEqual(
          seen,
          bodies.map((body, i) => ({ id: i + 1, body: Buffer.from(body) })),
        );
      },
    ),
    { seed, numRuns: 500 },
  );
});
