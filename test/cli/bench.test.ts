import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BenchResult } from '../../src/cli/bench/report.ts';
import { runCli, startBroker } from './helpers.ts';

test('bench produce, consume and e2e run against a broker and report rates and latencies', async (t) => {
  const broker = await startBroker(t);
  const b = ['--broker', broker.address, '--json'];
  const produce = await runCli(['bench', 'produce', '--records', '20000', '--size', '100', ...b]);
  assert.equal(produce.code, 0, produce.stderr);
  const produced = JSON.parse(produce.stdout) as BenchResult;
  assert.equal(produced.records, 20_000);
  assert.equal(produced.bytes, 2_000_000);
  assert.ok(produced.recordsPerSecond > 0 && produced.mbPerSecond > 0);
  assert.ok(produced.latencyMs && produced.latencyMs.p50 <= produced.latencyMs.p99 && produced.latencyMs.p99 <= produced.latencyMs.max);

  const consume = await runCli(['bench', 'consume', '--records', '20000', ...b]);
  assert.equal(consume.code, 0, consume.stderr);
  const consumed = JSON.parse(consume.stdout) as BenchResult;
  assert.equal(consumed.records, 20_000);
  assert.equal(consumed.bytes, 2_000_000);

  const e2e = await runCli(['bench', 'e2e', '--records', '2000', '--rate', '2000', ...b]);
  assert.equal(e2e.code, 0, e2e.stderr);
  const endToEnd = JSON.parse(e2e.stdout) as BenchResult;
  assert.equal(endToEnd.records, 2000);
  assert.ok(endToEnd.latencyMs && endToEnd.latencyMs.p50 > 0);

  const text = await runCli(['bench', 'consume', '--records', '1000', '--broker', broker.address]);
  assert.match(text.stdout, /^consume: 1,000 records in \d+\.\d\d s, [\d,]+ records\/s, \d+\.\d\d MB\/s\n$/);
});
