import { execFile, execFileSync } from 'node:child_process';

/**
 * Prometheus's promtool as the judge of our exposition format and deploy/ configs. CI installs it
 * (apt-get install prometheus); there a missing binary fails the run loudly rather than skipping.
 * On a developer machine without it the tests are skipped with the reason.
 */
export function promtoolAvailability(): { isAvailable: boolean; skipReason: string | false } {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return { isAvailable: true, skipReason: false };
  } catch {
    if (process.env.CI) throw new Error('promtool is not installed but CI is set: apt-get install prometheus (the metrics tests need it)');
    return { isAvailable: false, skipReason: 'promtool is not installed (apt-get install prometheus); CI fails instead of skipping' };
  }
}

/** Runs promtool with `input` on stdin; resolves with its exit code and output. */
export function promtool(args: readonly string[], input = ''): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', args, { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}

/** The value of one sample in Prometheus text, or undefined when absent. Labels match exactly. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',');
  const prefix = wanted === '' ? `${name} ` : `${name}{${wanted}} `;
  for (const line of text.split('\n')) {
    if (line.startsWith(prefix)) return Number(line.slice(prefix.length));
  }
  return undefined;
}
