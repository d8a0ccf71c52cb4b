import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFields, formatJson, formatTable } from '../../src/cli/output.ts';

test('tables pad columns, right-align numbers and show null as -', () => {
  const table = formatTable(
    ['TOPIC', 'PARTITIONS', 'LAG'],
    [
      ['orders', 12, null],
      ['a', 3, 40],
    ],
  );
  assert.equal(table, ['TOPIC   PARTITIONS  LAG', 'orders          12    -', 'a                3   40'].join('\n'));
});

test('fields align their keys; JSON shows buffers as base64', () => {
  assert.equal(
    formatFields([
      ['topic', 'x'],
      ['partitions', 2],
    ]),
    'topic:      x\npartitions: 2',
  );
  assert.equal(formatJson({ b: Buffer.from('hi') }), '{\n  "b": "aGk="\n}');
});
