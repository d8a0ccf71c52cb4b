/**
 * Broker CPU and memory from /proc. A broker is a process tree (RabbitMQ: a shell, beam.smp and
 * erl_child_setup), so every figure sums the pid and all its descendants at the time of reading.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux since 2.6. */
const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface ProcEntry {
  pid: number;
  parentPid: number;
  cpuTicks: number;
  rssBytes: number;
}

function readEntry(pid: number): ProcEntry | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined; // gone between listing and reading
  }
  // The command name is in parentheses and may hold spaces: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is state (field 3): ppid is field 4, utime 14, stime 15, rss (pages) 24.
  return {
    pid,
    parentPid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    rssBytes: Number(fields[21]) * PAGE_BYTES,
  };
}

function processTree(rootPid: number): ProcEntry[] {
  const all: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const entry = readEntry(pid);
    if (entry) all.push(entry);
  }
  const inTree = new Set([rootPid]);
  // Parents usually have lower pids, but pids wrap: repeat until nothing new joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const entry of all) {
      if (!inTree.has(entry.pid) && inTree.has(entry.parentPid)) {
        inTree.add(entry.pid);
        grew = true;
      }
    }
  }
  return all.filter((entry) => inTree.has(entry.pid));
}

export interface TreeSample {
  cpuSeconds: number;
  rssBytes: number;
}

export function sampleTree(rootPid: number): TreeSample {
  let cpuTicks = 0;
  let rssBytes = 0;
  for (const entry of processTree(rootPid)) {
    cpuTicks += entry.cpuTicks;
    rssBytes += entry.rssBytes;
  }
  return { cpuSeconds: cpuTicks / CLOCK_TICKS_PER_SECOND, rssBytes };
}

/** Reads the tree now and every `intervalMs` until stopped; reports CPU used and peak RSS. */
export class TreeMeter {
  readonly #pid: number;
  readonly #startCpuSeconds: number;
  readonly #startedAt = performance.now();
  readonly #timer: NodeJS.Timeout;
  #peakRssBytes: number;

  constructor(pid: number, intervalMs = 200) {
    this.#pid = pid;
    const first = sampleTree(pid);
    this.#startCpuSeconds = first.cpuSeconds;
    this.#peakRssBytes = first.rssBytes;
    this.#timer = setInterval(() => {
      this.#peakRssBytes = Math.max(this.#peakRssBytes, sampleTree(this.#pid).rssBytes);
    }, intervalMs);
  }

  stop(): { cpuPercent: number; peakRssMiB: number } {
    clearInterval(this.#timer);
    const last = sampleTree(this.#pid);
    const wallSeconds = (performance.now() - this.#startedAt) / 1000;
    const peak = Math.max(this.#peakRssBytes, last.rssBytes);
    return {
      cpuPercent: wallSeconds > 0 ? (100 * (last.cpuSeconds - this.#startCpuSeconds)) / wallSeconds : 0,
      peakRssMiB: peak / 1048576,
    };
  }
}
