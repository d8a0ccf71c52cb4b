import type { Readable } from 'node:stream';
import { ErrorCode, FerryError } from '../common/errors.ts';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into lines, one array per chunk read (so the caller can batch). `\n` and
 * `\r\n` end a line; a last line without a newline still counts. Lines are views of the chunk
 * when they fit in it (no copy); only a line split across chunks is copied.
 *
 * A line longer than `maxLineBytes` is an error rather than an unbounded buffer.
 */
export async function* readLines(input: Readable, maxLineBytes: number): AsyncGenerator<Buffer[], void, undefined> {
  let carry: Buffer[] = [];
  let carryBytes = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const lines: Buffer[] = [];
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
      let line = chunk.subarray(start, i);
      if (carryBytes > 0) {
        line = Buffer.concat([...carry, line]);
        carry = [];
        carryBytes = 0;
      }
      lines.push(stripCarriageReturn(line));
      start = i + 1;
    }
    if (start < chunk.length) {
      carry.push(chunk.subarray(start));
      carryBytes += chunk.length - start;
      if (carryBytes > maxLineBytes) throw new FerryError(ErrorCode.MESSAGE_TOO_LARGE, `a line is longer than ${maxLineBytes} bytes`);
    }
    if (lines.length > 0) yield lines;
  }
  if (carryBytes > 0) yield [stripCarriageReturn(Buffer.concat(carry))];
}

function stripCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, line.length - 1) : line;
}
