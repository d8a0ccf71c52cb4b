/**
 * Starting and stopping peer servers: each runs as a child of the bench on loopback ports it
 * picked, logs to a file in its own data folder, and is stopped by its process id.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

/** A port the kernel just handed out on loopback; free again when this resolves. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function spawnServer(
  command: string,
  args: readonly string[],
  options: { dataDir: string; env?: NodeJS.ProcessEnv; cwd?: string },
): ChildProcess {
  const log = openSync(join(options.dataDir, 'server.log'), 'a');
  const child = spawn(command, args, {
    cwd: options.cwd ?? options.dataDir,
    env: options.env ?? process.env,
    stdio: ['ignore', log, log],
  });
  child.on('error', () => {}); // reported by waitForPort timing out, with the log's path
  return child;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, what: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening on ${port}`);
    if (await canConnect(port)) return;
    await sleep(100);
  }
  // A server that never came up must not outlive the bench: stop it by its pid.
  if (child?.pid !== undefined) await stopPid(child.pid, 2_000);
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to this pid, then SIGKILL if it is still there after `graceMs`. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

/** Waits until the pid is gone (a child we did not spawn ourselves, or one stopped by a tool). */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  return !isAlive(pid);
}
