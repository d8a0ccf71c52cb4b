import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { BufferReader } from '../../../common/binary.ts';
import { type Context, type KType, requestReader, type Shape } from './types.ts';
import { inRange, type VersionRange, versions } from './versions.ts';
import { KafkaWriter } from './writer.ts';

/**
 * Message schemas written the way Kafka's JSON message definitions are: each field has the
 * versions it exists in, a default used when it does not, and (flexible versions only) an
 * optional tag that moves it into the tagged-field section. Types of decoded values are inferred
 * from the schema, so an API file declares its fields once.
 */

export { inRange, type VersionRange, versions } from './versions.ts';

export interface Field<T> {
  readonly type: KType<T>;
  readonly versions: VersionRange;
  /** Tag number in flexible versions, or -1 for a regular field. */
  readonly tag: number;
  defaultValue(): T;
}

/** A regular field present in `range` versions; outside them it reads as `fallback` (or the
 *  type's zero) and is not written. */
export function field<T>(type: KType<T>, range: string, fallback?: T): Field<T> {
  return {
    type,
    versions: versions(range),
    tag: -1,
    defaultValue: fallback === undefined ? () => type.defaultValue() : () => fallback,
  };
}

/** A tagged field (KIP-482): null means absent, and an absent field is not written. */
export function tagged<T>(type: KType<T>, range: string, tag: number): Field<T | null> {
  const inner: KType<T | null> = {
    shape: type.shape,
    minBytes: type.minBytes,
    read: (r, ctx) => type.read(r, ctx),
    write(w, value, ctx) {
      if (value !== null) type.write(w, value, ctx);
    },
    defaultValue: () => null,
  };
  return { type: inner, versions: versions(range), tag, defaultValue: () => null };
}

export type Fields = Record<string, Field<unknown>>;
export type StructOf<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };
export type Infer<S> = S extends KType<infer T> ? T : S extends MessageSchema<infer T> ? T : never;

interface NamedField {
  readonly name: string;
  readonly field: Field<unknown>;
}

export function struct<F extends Fields>(fields: F): KType<StructOf<F>> {
  const regular: NamedField[] = [];
  const taggedFields: NamedField[] = [];
  for (const [name, f] of Object.entries(fields)) (f.tag >= 0 ? taggedFields : regular).push({ name, field: f });
  taggedFields.sort((a, b) => a.field.tag - b.field.tag);
  const byTag = new Map(taggedFields.map((entry) => [entry.field.tag, entry]));

  const shape: Shape = {
    kind: 'struct',
    fields: [...regular, ...taggedFields].map(({ name, field: f }) => ({ name, versions: f.versions, tag: f.tag, type: f.type.shape })),
  };
  return {
    shape,
    minBytes: 1,
    read(r, ctx) {
      const out: Record<string, unknown> = {};
      for (const { name, field: f } of regular) out[name] = inRange(f.versions, ctx.version) ? f.type.read(r, ctx) : f.defaultValue();
      for (const { name } of taggedFields) out[name] = null;
      if (ctx.isFlexible) readTaggedFields(r, ctx, byTag, out);
      return out as StructOf<F>;
    },
    write(w, value, ctx) {
      const values = value as Record<string, unknown>;
      for (const { name, field: f } of regular) {
        if (inRange(f.versions, ctx.version)) f.type.write(w, values[name], ctx);
      }
      if (ctx.isFlexible) writeTaggedFields(w, ctx, taggedFields, values);
    },
    defaultValue() {
      const out: Record<string, unknown> = {};
      for (const [name, f] of Object.entries(fields)) out[name] = f.defaultValue();
      return out as StructOf<F>;
    },
  };
}

/** Unknown tags are skipped, as the spec requires: a newer client may send fields we ignore. */
function readTaggedFields(r: BufferReader, ctx: Context, byTag: ReadonlyMap<number, NamedField>, out: Record<string, unknown>): void {
  const count = r.uvarint();
  if (count * 2 > r.remaining) throw new FerryError(ErrorCode.INVALID_REQUEST, `${count} tagged fields cannot fit in ${r.remaining} bytes`);
  let previousTag = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    if (tag <= previousTag) throw new FerryError(ErrorCode.INVALID_REQUEST, `tagged fields out of order: ${tag} after ${previousTag}`);
    previousTag = tag;
    const size = r.uvarint();
    const known = byTag.get(tag);
    if (!known || !inRange(known.field.versions, ctx.version)) {
      r.skip(size);
      continue;
    }
    const start = r.offset;
    r.skip(size);
    const sub = requestReader(r.buf, start, start + size);
    out[known.name] = known.field.type.read(sub, ctx);
  }
}

function writeTaggedFields(w: KafkaWriter, ctx: Context, taggedFields: readonly NamedField[], values: Record<string, unknown>): void {
  let present = 0;
  for (const { name, field: f } of taggedFields)
    if (values[name] !== null && values[name] !== undefined && inRange(f.versions, ctx.version)) present++;
  w.out.uvarint(present);
  if (present === 0) return;
  for (const { name, field: f } of taggedFields) {
    const value = values[name];
    if (value === null || value === undefined || !inRange(f.versions, ctx.version)) continue;
    const sub = new KafkaWriter(64);
    f.type.write(sub, value, ctx);
    w.out.uvarint(f.tag);
    w.out.uvarint(sub.length);
    w.append(sub);
  }
}

/** One request or response body: a struct plus the versions it is defined for. */
export interface MessageSchema<T> {
  readonly name: string;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly body: KType<T>;
}

export function message<F extends Fields>(name: string, spec: { valid: string; flexible: string }, fields: F): MessageSchema<StructOf<F>> {
  return { name, validVersions: versions(spec.valid), flexibleVersions: versions(spec.flexible), body: struct(fields) };
}

export function contextFor(schema: MessageSchema<unknown>, version: number): Context {
  return { version, isFlexible: inRange(schema.flexibleVersions, version) };
}

/** Decodes a body at `version`. Throws INVALID_REQUEST on malformed input. Trailing bytes are
 *  ignored, as Kafka brokers do. */
export function decodeMessage<T>(schema: MessageSchema<T>, version: number, body: Buffer): T {
  return schema.body.read(requestReader(body), contextFor(schema, version));
}

export function encodeMessage<T>(schema: MessageSchema<T>, version: number, value: T, w: KafkaWriter = new KafkaWriter()): KafkaWriter {
  schema.body.write(w, value, contextFor(schema, version));
  return w;
}
