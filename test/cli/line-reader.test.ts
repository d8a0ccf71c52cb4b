import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { readLines } from '../../src/cli/line-reader.ts';

async function lines(chunks: string[], maxLineBytes = 1024): Promise<string[]> {
  const out: string[] = [];
  for await (const group of readLines(Readable.from(chunks.map((c) => Buffer.from(c))), maxLineBytes))
    out.push(...group.map((b) => b.toString()));
  return out;
}

test('splits on \\n and \\r\\n, across chunk boundaries, keeps empty lines and a last line without newline', async () => {
  assert.deepEqual(await lines(['a\nb', 'c\r\n\nd', 'e']), ['a', 'bc', '', 'de']);
  assert.deepEqual(await lines(['x\n']), ['x']);
  assert.deepEqual(await lines(['']), []);
  assert.deepEqual(await lines(['one\r', '\ntwo\n']), ['one', 'two']);
});

test('a line above the limit is an error, not an unbounded buffer', async () => {
  await assert.rejects(lines(['abcdef', 'ghijkl'], 8), (e) => e instanceof FerryError && e.code === ErrorCode.MESSAGE_TOO_LARGE);
});
