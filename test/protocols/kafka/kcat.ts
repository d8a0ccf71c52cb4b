import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';

/**
 * kcat (librdkafka) as a test peer. CI installs it (apt-get install kcat); there a missing binary
 * must fail the run loudly rather than skip the interop tests. On a developer machine without it
 * the tests are skipped with the reason.
 */
export function kcatAvailability(): { isAvailable: boolean; skipReason: string | false } {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
    return { isAvailable: true, skipReason: false };
  } catch {
    if (process.env.CI) throw new Error('kcat is not installed but CI is set: apt-get install kcat (the Kafka interop tests need it)');
    return { isAvailable: false, skipReason: 'kcat is not installed (apt-get install kcat); CI fails instead of skipping' };
  }
}

/** Runs kcat to completion with `input` on stdin; resolves with stdout. */
export function kcat(bootstrap: string, args: readonly string[], input?: string | Buffer, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kcat',
      ['-b', bootstrap, '-X', 'client.id=ferry-test', ...args],
      { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) =>
        error ? reject(new Error(`kcat ${args.join(' ')} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** Starts a long-running kcat (a balanced consumer) whose stdout lines are collected. */
export function spawnKcat(bootstrap: string, args: readonly string[]): { child: ChildProcess; lines: string[] } {
  // -u: unbuffered stdout, or lines sit in kcat's buffer while it keeps running.
  const child = spawn('kcat', ['-u', '-b', bootstrap, '-X', 'client.id=ferry-test', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr!.resume();
  return { child, lines };
}
