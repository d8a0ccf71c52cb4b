/**
 * Process plumbing for bench/kafka.ts: start the broker as its own process (so its CPU is
 * measured apart from the clients'), read a process's CPU time from /proc, run a client child
 * process through the READY / GO / RESULT handshake, and run a command under GNU time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

export interface RunningBroker {
  child: ChildProcess;
  pid: number;
  nativePort: number;
  kafkaPort: number;
}

/** CPU seconds (user + system, every thread) a live process has used so far. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: fields are counted after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15, i.e. 12 and 13 after the paren (state is field 3).
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Seconds the process's main thread (Node's JS thread) has spent on a CPU or runnable and waiting
 * for one (/proc/<pid>/schedstat: run ns, run-queue wait ns). On a machine shared with other
 * work a CPU-bound thread gets less than a core, but it is still busy (running or waiting to run)
 * nearly all the time: busy/elapsed near 100% is what names the bottleneck, not CPU %.
 */
export function mainThreadBusySeconds(pid: number | 'self'): number {
  const [runNs, waitNs] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return (runNs! + waitNs!) / 1e9;
}

/** Pid of the first process named `command` under `rootPid` (children of children too), or null. */
function findDescendant(rootPid: number, command: string): number | null {
  const parents = new Map<number, { parent: number; name: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), { parent, name });
    } catch {
      // The process ended while /proc was read.
    }
  }
  for (const [pid, { name }] of parents) {
    if (name !== command) continue;
    for (let up = parents.get(pid)?.parent; up !== undefined && up > 1; up = parents.get(up)?.parent) {
      if (up === rootPid) return pid;
    }
  }
  return null;
}

/** Busy seconds (run + run-queue wait) of each thread of a live process, by thread id. */
function threadBusySeconds(pid: number): Map<string, number> {
  const busy = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const [runNs, waitNs] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      busy.set(tid, (runNs! + waitNs!) / 1e9);
    }
  } catch {
    // Exited between the listing and the read: the previous sample stands.
  }
  return busy;
}

/** `node src/cli/main.ts start` on free ports; resolves once it prints its ready line. */
export async function startBroker(repoDir: string, dataDir: string, extraFlags: readonly string[]): Promise<RunningBroker> {
  const args = [
    path.join(repoDir, 'src/cli/main.ts'),
    'start',
    '--data-dir',
    dataDir,
    '--native-port',
    '0',
    '--http-port',
    '0',
    '--kafka-port',
    '0',
    '--log-level',
    'warn',
    // The bench measures streaming, not the wait for a group's first members.
    '--group-initial-rebalance-delay-ms',
    '0',
    ...extraFlags,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<{ nativePort: number; kafkaPort: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = /^ferry ready: native [^:]+:(\d+), kafka [^:]+:(\d+)/.exec(line);
      if (ready !== null) resolve({ nativePort: Number(ready[1]), kafkaPort: Number(ready[2]) });
      else if (line.length > 0) process.stderr.write(`broker: ${line}\n`);
    });
  });
  child.removeAllListeners('exit');
  return { child, pid: child.pid!, ...ports };
}

export async function stopBroker(broker: RunningBroker): Promise<void> {
  const exited = new Promise((resolve) => broker.child.once('exit', resolve));
  broker.child.kill('SIGTERM');
  await exited;
}

/** What a client child process reports once its timed section is over. */
export interface ClientResult {
  records: number;
  valueBytes: number;
  elapsedMs: number;
  clientCpuSeconds: number;
  /** Main (JS) thread running or runnable, seconds; null where not measured (kcat). */
  clientBusySeconds: number | null;
}

export interface Measured extends ClientResult {
  brokerCpuSeconds: number;
  brokerBusySeconds: number;
}

/**
 * Runs `node bench/kafka.ts --client ...` : the child connects and prepares, prints READY, and
 * starts its timed section only when told GO, so the broker's CPU is read around exactly that
 * section. The child measures its own CPU with process.cpuUsage() (all its threads).
 */
export async function runClientChild(script: string, args: readonly string[], brokerPid: number): Promise<Measured> {
  // kafkajs 2.2.4 arms timers with negative delays, which Node 24 reports on every run.
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let brokerCpuAtStart = 0;
  let brokerBusyAtStart = 0;
  const result = await new Promise<ClientResult>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`client ${args.join(' ')} exited with ${code} without a result`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'READY') {
        brokerCpuAtStart = processCpuSeconds(brokerPid);
        brokerBusyAtStart = mainThreadBusySeconds(brokerPid);
        child.stdin!.write('GO\n');
      } else if (line.startsWith('RESULT ')) {
        resolve(JSON.parse(line.slice(7)) as ClientResult);
      } else if (line.length > 0) {
        process.stderr.write(`client: ${line}\n`);
      }
    });
  });
  const brokerCpuSeconds = processCpuSeconds(brokerPid) - brokerCpuAtStart;
  const brokerBusySeconds = mainThreadBusySeconds(brokerPid) - brokerBusyAtStart;
  child.removeAllListeners('exit');
  if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  return { ...result, brokerCpuSeconds, brokerBusySeconds };
}

export interface TimedCommand {
  stdout: string;
  elapsedMs: number;
  cpuSeconds: number;
  /** Busiest thread of the command, running or runnable; sampled every POLL_MS, so it may miss
   *  the last few milliseconds before exit. */
  busiestThreadSeconds: number;
  brokerCpuSeconds: number;
  brokerBusySeconds: number;
}

const POLL_MS = 50;

/**
 * Runs a shell pipeline whose first command is measured by GNU time (`/usr/bin/time -o FILE`):
 * its CPU time is exact even though it is not a Node process. Elapsed time is wall clock from
 * spawn to exit, so it includes the command's start-up (connection, metadata).
 */
export async function runTimed(
  command: readonly string[],
  pipeTo: string | null,
  stdinFile: string | null,
  timeFile: string,
  brokerPid: number,
): Promise<TimedCommand> {
  const quoted = command.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
  const input = stdinFile === null ? '' : ` < '${stdinFile}'`;
  const pipeline = `/usr/bin/time -f '%U %S' -o '${timeFile}' ${quoted}${input}${pipeTo === null ? '' : ` | ${pipeTo}`}`;
  const brokerCpuAtStart = processCpuSeconds(brokerPid);
  const brokerBusyAtStart = mainThreadBusySeconds(brokerPid);
  const started = performance.now();
  const child = spawn('/bin/bash', ['-o', 'pipefail', '-c', pipeline], { stdio: ['ignore', 'pipe', 'inherit'] });
  // kcat is not Node: its threads are read from /proc while it runs (it is gone at exit).
  let lastSample = new Map<string, number>();
  let pid: number | null = null;
  const poll = setInterval(() => {
    pid ??= findDescendant(child.pid!, path.basename(command[0]!));
    if (pid === null) return;
    const sample = threadBusySeconds(pid);
    if (sample.size > 0) lastSample = sample;
  }, POLL_MS);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(poll);
  const elapsedMs = performance.now() - started;
  const brokerCpuSeconds = processCpuSeconds(brokerPid) - brokerCpuAtStart;
  const brokerBusySeconds = mainThreadBusySeconds(brokerPid) - brokerBusyAtStart;
  if (code !== 0) throw new Error(`${command[0]} exited with ${code}: ${pipeline}`);
  const [user, system] = (await readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  return {
    stdout,
    elapsedMs,
    cpuSeconds: user! + system!,
    busiestThreadSeconds: Math.max(0, ...lastSample.values()),
    brokerCpuSeconds,
    brokerBusySeconds,
  };
}
