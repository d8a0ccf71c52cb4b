import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { KAFKA_APIS } from '../../../src/protocols/kafka/apis/index.ts';
import { contextFor, decodeMessage, encodeMessage, inRange, type MessageSchema } from '../../../src/protocols/kafka/protocol/schema.ts';
import type { Shape } from '../../../src/protocols/kafka/protocol/types.ts';
import { testSeed } from './seed.ts';

const seed = testSeed();

/** Values for a shape at one version: fields outside the version are left out (the codec then
 *  neither writes them nor cares), tagged fields are sometimes absent (null). */
function arbitraryOf(shape: Shape, version: number, depth = 0): fc.Arbitrary<unknown> {
  switch (shape.kind) {
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer();
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
      return fc.maxSafeInteger();
    case 'float64':
      return fc.double({ noNaN: true });
    case 'bool':
      return fc.boolean();
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a).toString('hex'));
    case 'string':
      return fc.string({ maxLength: 12 });
    case 'nullableString':
      return fc.option(fc.string({ maxLength: 12 }), { nil: null });
    case 'bytes':
      return fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
    case 'nullableBytes':
      return fc.option(
        fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)),
        { nil: null },
      );
    case 'array': {
      const items = fc.array(arbitraryOf(shape.item, version, depth + 1), { maxLength: depth > 2 ? 1 : 3 });
      return shape.isNullable ? fc.option(items, { nil: null }) : items;
    }
    case 'struct': {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      for (const f of shape.fields) {
        if (!inRange(f.versions, version)) continue;
        const value = arbitraryOf(f.type, version, depth + 1);
        fields[f.name] = f.tag >= 0 ? fc.option(value, { nil: null }) : value;
      }
      return fc.record(fields);
    }
  }
}

function checkRoundTrip(schema: MessageSchema<unknown>, version: number): void {
  fc.assert(
    fc.property(arbitraryOf(schema.body.shape, version), (value) => {
      const bytes = encodeMessage(schema, version, value).toBuffer();
      const decoded = decodeMessage(schema, version, bytes);
      const again = encodeMessage(schema, version, decoded).toBuffer();
      assert.deepEqual(again, bytes, `${schema.name} v${version} re-encodes to the same bytes`);
    }),
    { seed, numRuns: 40 },
  );
}

describe('kafka api schemas', () => {
  for (const api of KAFKA_APIS.values()) {
    test(`${api.name} requests and responses round-trip in every version`, () => {
      for (let version = api.request.validVersions.min; version <= api.request.validVersions.max; version++) {
        checkRoundTrip(api.request, version);
        checkRoundTrip(api.response, version);
      }
    });
  }

  test('served versions are inside the schemas, and flexible versions match between request and response', () => {
    for (const api of KAFKA_APIS.values()) {
      assert.ok(api.minVersion >= api.request.validVersions.min && api.maxVersion <= api.request.validVersions.max, api.name);
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        assert.equal(contextFor(api.request, v).isFlexible, contextFor(api.response, v).isFlexible, `${api.name} v${v}`);
      }
    }
  });
});
