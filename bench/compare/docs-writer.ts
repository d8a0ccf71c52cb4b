/**
 * Publishes a run in docs/benchmarks.md: everything between the generated markers is replaced
 * (latest table, commands, versions, machine, chart), the hand-written text around it is kept.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CompareResults } from './results.ts';
import { durabilityTable, resultsTable, verdictTable } from './table.ts';

export const START_MARKER = '<!-- generated:compare:start -->';
export const END_MARKER = '<!-- generated:compare:end -->';

export function generatedSection(results: CompareResults, chartPath: string, resultPath: string): string {
  const machine = results.machine;
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
  return [
    START_MARKER,
    `### Latest run: ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Command: \`${results.command}\` (raw figures of every run: \`${resultPath}\`)`,
    `- Machine: ${machine.cpuCount} × ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB RAM, Linux ${machine.kernel}, Node ${results.node}`,
    `- Load average (1, 5, 15 min) at start: ${load(machine.loadAverageAtStart)}; at end: ${load(machine.loadAverageAtEnd)}`,
    `- Each figure is the median of ${results.runsPerFigure} run(s) of ${results.durationMs} ms${results.latencyDurationMs ? ` (latency rows: ${results.latencyDurationMs} ms)` : ''}${warmupText(results.warmupRunsPerFigure)}; broker CPU is % of one core (process tree), RSS the peak of the tree.`,
    '',
    `![records/s, latency and memory per system](${chartPath})`,
    '',
    '#### Durability of each row',
    '',
    durabilityTable(results),
    '',
    '#### Figures',
    '',
    resultsTable(results.rows),
    '',
    '#### Ferry against the peers',
    '',
    verdictTable(results.rows),
    END_MARKER,
  ].join('\n');
}

export async function writeDocs(docsPath: string, section: string): Promise<void> {
  const current = existsSync(docsPath) ? await readFile(docsPath, 'utf8') : `# Benchmarks\n\n${START_MARKER}\n${END_MARKER}\n`;
  const start = current.indexOf(START_MARKER);
  const end = current.indexOf(END_MARKER);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${section}${current.slice(end + END_MARKER.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  await mkdir(dirname(docsPath), { recursive: true });
  await writeFile(docsPath, next);
}

function warmupText(warmupRuns: number | undefined): string {
  if (!warmupRuns) return '';
  return `, after ${warmupRuns} unrecorded warm-up run(s) of half that length (not for the scale workload)`;
}
