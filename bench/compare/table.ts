/**
 * Markdown tables of a comparison run: the figures (printed by the runner and written to
 * docs/benchmarks.md), the durability of each row, and where Ferry stands against the peers.
 */
import type { CompareResults, ResultRow } from './results.ts';
import type { Measurement, WorkloadName } from './types.ts';

function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function decimal(value: number): string {
  if (value >= 1000) return integer(value);
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function figureCells(median: Measurement | undefined): string[] {
  if (!median) return ['', '', '', '', '', '', '', ''];
  const latency = median.latencyMs;
  return [
    integer(median.recordsPerSecond),
    decimal(median.megabytesPerSecond),
    latency ? decimal(latency.p50) : '–',
    latency ? decimal(latency.p99) : '–',
    latency ? decimal(latency.p999) : '–',
    integer(median.brokerCpuPercent),
    integer(median.brokerRssMiB),
    integer(median.clientCpuPercent),
  ];
}

export function resultsTable(rows: readonly ResultRow[]): string {
  const lines = [
    '| workload | variant | system | records/s | MB/s | p50 ms | p99 ms | p99.9 ms | broker CPU % | broker RSS MiB | client CPU % | note |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const note = row.missing ? `n/a: ${row.missing}` : (row.median?.note ?? '');
    lines.push(`| ${[row.workload, row.variant, row.system, ...figureCells(row.median), cell(note)].join(' | ')} |`);
  }
  return lines.join('\n');
}

export function durabilityTable(results: Pick<CompareResults, 'systems'>): string {
  const lines = ['| system | version | what an acknowledgement means |', '| --- | --- | --- |'];
  for (const system of results.systems) lines.push(`| ${system.id} | ${cell(system.version)} | ${cell(system.durability)} |`);
  return lines.join('\n');
}

/** The figure that decides who is ahead on a workload, and whether higher is better. */
export function headlineFigure(workload: WorkloadName): {
  label: string;
  pick: (m: Measurement) => number | undefined;
  isHigherBetter: boolean;
} {
  if (workload === 'latency') return { label: 'p99 ms', pick: (m) => m.latencyMs?.p99, isHigherBetter: false };
  if (workload === 'scale') return { label: 'broker RSS MiB', pick: (m) => m.brokerRssMiB, isHigherBetter: false };
  return { label: 'records/s', pick: (m) => m.recordsPerSecond, isHigherBetter: true };
}

/** Per workload and variant: Ferry's two rows against every peer that ran it. */
export function verdictTable(rows: readonly ResultRow[], ferryIds: readonly string[] = ['ferry-always', 'ferry-none']): string {
  const lines = [
    '| workload | variant | figure | ferry-always | ferry-none | peers ahead of ferry-always | peers ahead of ferry-none |',
    '| --- | --- | --- | ---: | ---: | --- | --- |',
  ];
  const keys = [...new Set(rows.map((row) => `${row.workload}\u0000${row.variant}`))];
  for (const key of keys) {
    const [workload, variant] = key.split('\u0000') as [WorkloadName, string];
    const group = rows.filter((row) => row.workload === workload && row.variant === variant);
    const figure = headlineFigure(workload);
    const figureOf = (row: ResultRow | undefined) => (row?.median ? figure.pick(row.median) : undefined);
    const peers = group.filter((row) => !ferryIds.includes(row.system) && figureOf(row) !== undefined);
    const ferryCells = ferryIds.map((id) => {
      const value = figureOf(group.find((row) => row.system === id));
      return value === undefined ? 'pending' : decimal(value);
    });
    const aheadCells = ferryIds.map((id) => {
      const ferryValue = figureOf(group.find((row) => row.system === id));
      if (ferryValue === undefined) return '–';
      const ahead = peers.filter((peer) => {
        const peerValue = figureOf(peer)!;
        return figure.isHigherBetter ? peerValue > ferryValue : peerValue < ferryValue;
      });
      return ahead.length === 0 ? 'none' : ahead.map((peer) => `${peer.system} (${decimal(figureOf(peer)!)})`).join(', ');
    });
    lines.push(`| ${workload} | ${variant} | ${figure.label} | ${ferryCells.join(' | ')} | ${aheadCells.join(' | ')} |`);
  }
  return lines.join('\n');
}
