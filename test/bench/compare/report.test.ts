import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, renderChart } from '../../../bench/compare/chart.ts';
import { END_MARKER, START_MARKER, generatedSection } from '../../../bench/compare/docs-writer.ts';
import { type CompareResults, medianMeasurement, type ResultRow } from '../../../bench/compare/results.ts';
import { resultsTable, verdictTable } from '../../../bench/compare/table.ts';
import type { Measurement } from '../../../bench/compare/types.ts';

function measurement(recordsPerSecond: number, extra: Partial<Measurement> = {}): Measurement {
  return {
    records: recordsPerSecond,
    seconds: 1,
    recordsPerSecond,
    megabytesPerSecond: recordsPerSecond / 1e4,
    brokerCpuPercent: 50,
    brokerRssMiB: 100,
    clientCpuPercent: 90,
    ...extra,
  };
}

function row(system: string, workload: ResultRow['workload'], variant: string, median?: Measurement, missing?: string): ResultRow {
  return { system, workload, variant, runs: median ? [median] : [], ...(median ? { median } : {}), ...(missing ? { missing } : {}) };
}

const rows: ResultRow[] = [
  row('ferry-always', 'publish', '100 B', measurement(200_000)),
  row('ferry-none', 'publish', '100 B', measurement(300_000)),
  row('redis-always', 'publish', '100 B', measurement(250_000)),
  row('ferry-always', 'latency', '2,000/s', measurement(2_000, { latencyMs: { p50: 1.5, p99: 9, p999: 20 } })),
  row('ferry-none', 'latency', '2,000/s', measurement(2_000, { latencyMs: { p50: 1, p99: 3, p999: 5 } })),
  row('redis-always', 'latency', '2,000/s', measurement(2_000, { latencyMs: { p50: 0.5, p99: 4, p999: 8 } })),
  row('mosquitto', 'publish', '100 B', undefined, 'Debian package mosquitto not installed'),
];

test('each figure of the median is the median of that figure over the runs', () => {
  const median = medianMeasurement([
    measurement(10, { brokerRssMiB: 300, latencyMs: { p50: 1, p99: 10, p999: 30 }, note: 'slow' }),
    measurement(30, { brokerRssMiB: 100, latencyMs: { p50: 3, p99: 5, p999: 10 } }),
    measurement(20, { brokerRssMiB: 200, latencyMs: { p50: 2, p99: 20, p999: 20 }, note: 'slow' }),
  ])!;
  assert.equal(median.recordsPerSecond, 20);
  assert.equal(median.brokerRssMiB, 200);
  assert.deepEqual(median.latencyMs, { p50: 2, p99: 10, p999: 20 });
  assert.equal(median.note, 'slow');
  assert.equal(medianMeasurement([]), undefined);
  assert.equal(medianMeasurement([measurement(10), measurement(20)])!.recordsPerSecond, 15);
});

test('the results table has one line per row, figures formatted and missing rows explained', () => {
  const table = resultsTable(rows).split('\n');
  assert.equal(table.length, rows.length + 2);
  assert.match(table[2]!, /^\| publish \| 100 B \| ferry-always \| 200,000 \| 20.0 \| – \| – \| – \| 50 \| 100 \| 90 \|/);
  assert.match(table[5]!, /\| latency \| 2,000\/s \| ferry-always \| 2,000 \| 0.20 \| 1.50 \| 9.00 \| 20.0 \|/);
  assert.match(table.at(-1)!, /n\/a: Debian package mosquitto not installed \|$/);
  for (const line of table) assert.equal(line.split(' | ').length, 12, line);
});

test('the verdict names the peers ahead of each Ferry row, by the figure that decides the workload', () => {
  const lines = verdictTable(rows).split('\n');
  const publish = lines.find((line) => line.startsWith('| publish'))!;
  assert.match(publish, /\| records\/s \| 200,000 \| 300,000 \| redis-always \(250,000\) \| none \|$/);
  const latency = lines.find((line) => line.startsWith('| latency'))!;
  // Lower p99 is better: redis (4 ms) beats ferry-always (9 ms) but not ferry-none (3 ms).
  assert.match(latency, /\| p99 ms \| 9.00 \| 3.00 \| redis-always \(4.00\) \| none \|$/);
});

test('the chart is well-formed SVG with one bar per measured row and escaped labels', () => {
  const svg = renderChart(rows, 'Ferry & peers <test>');
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.ok(svg.includes('Ferry &amp; peers &lt;test&gt;'));
  const bars = svg.match(/<rect x=/g) ?? [];
  assert.equal(bars.length, rows.filter((r) => r.median).length);
  // The largest bar of a panel spans the whole bar area; the others are proportional.
  const widths = [...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="([\d.]+)"/g)].map((match) => Number(match[1]));
  assert.ok(Math.abs(widths[1]! / widths[0]! - 1.5) < 0.01, `widths ${widths}`);
  assert.ok(svg.includes('n/a'));
  assert.equal(escapeXml('a"b'), 'a&quot;b');
  // Every opened text element is closed.
  assert.equal((svg.match(/<text /g) ?? []).length, (svg.match(/<\/text>/g) ?? []).length);
});

test('the docs section carries the machine, load, command, chart and tables between its markers', () => {
  const results: CompareResults = {
    startedAt: '2026-11-23T12:00:00.000Z',
    finishedAt: '2026-11-23T12:10:00.000Z',
    command: 'npm run bench:compare',
    machine: { cpuModel: 'Test CPU', cpuCount: 2, memoryGiB: 8, kernel: '6.1', loadAverageAtStart: [1, 2, 3], loadAverageAtEnd: [4, 5, 6] },
    node: 'v24.21.0',
    runsPerFigure: 3,
    durationMs: 2500,
    systems: [{ id: 'ferry-always', product: 'ferry', version: '0.1.0', durability: 'fsync | group commit' }],
    rows,
  };
  const section = generatedSection(results, 'benchmarks/compare.svg', 'bench/results/x.json');
  assert.ok(section.startsWith(START_MARKER) && section.endsWith(END_MARKER));
  assert.match(section, /2 × Test CPU/);
  assert.match(section, /at start: 1.00 2.00 3.00; at end: 4.00 5.00 6.00/);
  assert.match(section, /!\[.*\]\(benchmarks\/compare.svg\)/);
  assert.match(section, /fsync \\\| group commit/);
  assert.match(section, /median of 3 run\(s\) of 2500 ms; broker CPU/, 'a file from before warm-ups says nothing of them');
  const warmed = generatedSection({ ...results, warmupRunsPerFigure: 1, latencyDurationMs: 10_000 }, 'benchmarks/compare.svg', 'x.json');
  assert.match(warmed, /median of 3 run\(s\) of 2500 ms \(latency rows: 10000 ms\), after 1 unrecorded warm-up run\(s\) of half that length/);
});
