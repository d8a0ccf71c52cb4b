import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defer } from '../server/cleanup.ts';

/** Helpers that drive the real `ferry` CLI as child processes, like a user would. */

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface TestContext {
  after(fn: () => unknown): void;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Environment for children: ours without FERRY_* (so a developer's shell cannot change a test). */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('FERRY_')) env[name] = value;
  return { ...env, ...extra };
}

/** Runs `ferry <args>` to completion; kills it after `timeoutMs` (default 20 s). */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}

export async function tempDir(t: TestContext, prefix = 'ferry-cli-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface BrokerProcess {
  child: ChildProcess;
  dataDir: string;
  nativePort: number;
  httpPort: number;
  kafkaPort: number | null;
  /** `127.0.0.1:<nativePort>`, for `--broker`. */
  address: string;
  /** Everything the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const READY = /^ferry ready: native [^\s,]+:(\d+), (?:kafka [^\s,]+:(\d+), )?http [^\s,]+:(\d+)/m;

/**
 * Starts `ferry start` on free ports (port 0; the ready line says which) in `dataDir` (a new temp
 * dir by default). Killed in `t.after` if the test did not stop it.
 */
export async function startBroker(
  t: TestContext,
  options: { dataDir?: string; args?: readonly string[]; env?: Record<string, string> } = {},
): Promise<BrokerProcess> {
  const dataDir = options.dataDir ?? (await tempDir(t, 'ferry-data-'));
  const args = [
    CLI,
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
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const ports = await new Promise<[number, number, number | null]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not become ready in 20 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 20_000);
    const check = () => {
      const match = READY.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve([Number(match[1]), Number(match[3]), match[2] === undefined ? null : Number(match[2])]);
      }
    };
    child.stdout.on('data', check);
    exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code ?? signal}) before ready\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
  return {
    child,
    dataDir,
    nativePort: ports[0],
    httpPort: ports[1],
    kafkaPort: ports[2],
    address: `127.0.0.1:${ports[0]}`,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code, exitSignal] = await exited;
      return { code, signal: exitSignal };
    },
  };
}
