import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketIndex, Histogram, highestEquivalentValue } from '../../../src/cli/bench/histogram.ts';

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('every value lands in a bucket whose top is within 1/64 above it', () => {
  for (let value = 0; value < 1 << 20; value += 1 + (value >> 6)) {
    const top = highestEquivalentValue(bucketIndex(value));
    assert.ok(top >= value && top - value <= value / 64, `value ${value} -> bucket top ${top}`);
  }
  assert.equal(highestEquivalentValue(bucketIndex(2 ** 31 - 1)), 2 ** 31 - 1);
});

test('percentiles agree with exact sorted samples within the bucket precision (seeded)', (t) => {
  const seed = Number(process.env.FERRY_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (replay with FERRY_SEED=${seed})`);
  const random = seededRandom(seed);
  const histogram = new Histogram();
  const samples: number[] = [];
  for (let i = 0; i < 50_000; i++) {
    // Log-uniform from 1 µs to 1 s, like latencies.
    const value = Math.round(Math.exp(random() * Math.log(1_000_000)));
    samples.push(value);
    histogram.record(value);
  }
  samples.sort((a, b) => a - b);
  for (const p of [50, 90, 99, 99.9, 100]) {
    const exact = samples[Math.max(0, Math.ceil((p / 100) * samples.length) - 1)]!;
    const reported = histogram.percentile(p);
    assert.ok(reported >= exact && reported - exact <= exact / 64 + 1, `seed ${seed}: p${p} exact ${exact}, reported ${reported}`);
  }
  assert.equal(histogram.count, 50_000);
  assert.equal(histogram.max, samples[samples.length - 1]);
  assert.equal(histogram.min, samples[0]);
});

test('counts with a weight, clamps out-of-range values, merges and resets', () => {
  const a = new Histogram();
  a.record(100, 1000);
  a.record(2 ** 40);
  assert.equal(a.count, 1001);
  assert.equal(a.clampedCount, 1);
  assert.equal(a.percentile(50), 100);
  const b = new Histogram();
  b.record(5);
  a.add(b);
  assert.equal(a.count, 1002);
  assert.equal(a.min, 5);
  a.reset();
  assert.equal(a.count, 0);
  assert.equal(a.percentile(99), 0);
});
