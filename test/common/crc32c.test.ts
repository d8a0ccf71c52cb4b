import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { crc32c, preloadCrc32c } from '../../src/common/crc32c.ts';
import { fcParams } from './seed.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Bitwise CRC-32C (reflected 0x82F63B78): slow, obviously right, shares no code with either addon. */
function referenceCrc32c(data: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test('a process that did not preload loads the addon only for an input of 64 KiB or more', () => {
  // A fresh process: this one may have loaded it already.
  const script = [
    "import { crc32c } from './src/common/crc32c.ts';",
    "const has = () => process.report.getReport().sharedObjects.some((file) => file.includes('aws-crt-nodejs'));",
    'crc32c(Buffer.alloc(60 * 1024, 1));',
    'const before = has();',
    'crc32c(Buffer.alloc(64 * 1024, 1));',
    'console.log(JSON.stringify([before, has()]));',
  ].join('\n');
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(output), [false, true]);
});

test('the fast CRC-32C loads on this platform (linux x64 glibc ships a prebuilt aws-crt binary)', () => {
  assert.equal(preloadCrc32c(), 'aws-crt');
});

test('check value of "123456789" on both sides of the 1 KiB switch', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const long = Buffer.alloc(4096, '123456789');
  assert.equal(crc32c(long), referenceCrc32c(long));
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test('agrees with @node-rs/crc32 and a bitwise reference for any bytes, size, offset and chunking', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 9000 }), fc.nat(64), fc.nat(9000), (bytes, skip, cut) => {
      // A view that does not start at its ArrayBuffer's first byte, as a batch inside a request.
      const backing = Buffer.alloc(bytes.length + skip);
      backing.set(bytes, skip);
      const view = backing.subarray(skip);
      const expected = referenceCrc32c(bytes);
      assert.equal(crc32c(view), expected);
      assert.equal(nodeRsCrc32c(view) >>> 0, expected);
      const at = Math.min(cut, view.length);
      assert.equal(crc32c(view.subarray(at), crc32c(view.subarray(0, at))), expected);
    }),
    fcParams(300),
  );
});

test('a 1 MiB buffer with one flipped bit gets a different checksum', () => {
  const data = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131) & 0xff;
  const before = crc32c(data);
  assert.equal(before, nodeRsCrc32c(data) >>> 0);
  data[777_777]! ^= 0x10;
  assert.notEqual(crc32c(data), before);
  assert.equal(crc32c(data), nodeRsCrc32c(data) >>> 0);
});
