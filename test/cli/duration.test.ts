import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { formatAge } from '../../src/cli/commands/sub.ts';
import { parseDurationMs, parseInstantMs } from '../../src/cli/duration.ts';

test('durations as people type them become whole milliseconds', () => {
  const cases: [string, number][] = [
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1.5h', 5_400_000],
    ['250', 250],
    ['1_000', 1000],
    [' 5s ', 5000],
    ['0', 0],
  ];
  for (const [text, ms] of cases) assert.equal(parseDurationMs(text), ms, text);
  for (const bad of ['', 's', '5 minutes', '-5s', '1e3', '5w', '10M', '99999999999999999999d']) {
    assert.throws(() => parseDurationMs(bad), InvalidArgumentError, bad);
  }
});

test('instants need an ISO-8601 date and time; offsets are honoured', () => {
  assert.equal(parseInstantMs('2026-11-23T18:00:00Z'), Date.UTC(2026, 10, 23, 18));
  assert.equal(parseInstantMs('2026-11-23T19:00:00+01:00'), Date.UTC(2026, 10, 23, 18));
  for (const bad of ['tomorrow', '2026-11-23', 'Nov 23 2026 18:00', '2026-13-45T99:99:99Z', '']) {
    assert.throws(() => parseInstantMs(bad), InvalidArgumentError, bad);
  }
});

test('the oldest unacked age reads at a glance', () => {
  assert.equal(formatAge(0, 0), '-');
  assert.equal(formatAge(250, 3), '250 ms');
  assert.equal(formatAge(3_200, 3), '3.2 s');
  assert.equal(formatAge(312_000, 3), '5 m 12 s');
  assert.equal(formatAge(2 * 3_600_000 + 5 * 60_000, 3), '2 h 5 m');
});
