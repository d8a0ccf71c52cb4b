/**
 * Top functions by self time in a V8 .cpuprofile (written by `node --cpu-prof`), to name the
 * bottleneck of a row: broker CPU (Ferry's own functions), garbage collection, or idle (the main
 * thread waiting: on fsync in the thread pool, or on the client).
 *
 *   npm run bench:compare -- --systems ferry-always --workloads latency --profile-dir /tmp/prof
 *   node bench/compare/profile-summary.ts /tmp/prof/<file>.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfile(profile: CpuProfile, top: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<string, number>();
  let totalMicros = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node) continue;
    totalMicros += delta;
    const frame = node.callFrame;
    const where = frame.url ? `${relative(process.cwd(), frame.url.replace(/^file:\/\//, ''))}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
  }
  const rows = [...selfMicros.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `total ${(totalMicros / 1e6).toFixed(1)} s of samples`,
    ...rows.map(([key, micros]) => `${((100 * micros) / Math.max(1, totalMicros)).toFixed(1).padStart(5)}%  ${key}`),
  ];
}

if (import.meta.main) {
  const [file, topText] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/compare/profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  for (const line of summarizeProfile(profile, Number(topText ?? 25))) console.log(line);
}
