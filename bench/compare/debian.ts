/**
 * The peers come from Debian's packages. A missing one is installed when the bench runs as root;
 * package scripts must not start system-wide daemons meanwhile (they would take the default
 * ports and the CPU we measure), so the install runs under a policy-rc.d that refuses every
 * service start, restored afterwards.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const POLICY_RC = '/usr/sbin/policy-rc.d';
// dpkg-query's own ${field} format syntax, not a template literal.
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query format
const VERSION_FORMAT = '-f=${Version}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query format
const STATUS_FORMAT = '-f=${Status}';

export async function debianVersion(packageName: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('dpkg-query', ['-W', VERSION_FORMAT, packageName]);
    return stdout.trim() || 'unknown';
  } catch {
    return 'not installed';
  }
}

export async function missingPackages(packageNames: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of packageNames) {
    const { stdout } = await execFileAsync('dpkg-query', ['-W', STATUS_FORMAT, name]).catch(() => ({ stdout: '' }));
    if (!stdout.includes('install ok installed')) missing.push(name);
  }
  return missing;
}

/** Installs what is missing (root only); returns the packages still missing afterwards. */
export async function ensurePackages(packageNames: readonly string[], log: (line: string) => void): Promise<string[]> {
  const missing = await missingPackages(packageNames);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    log(`missing Debian packages ${missing.join(' ')}; not root, so not installing them (those systems are skipped)`);
    return missing;
  }
  log(`installing ${missing.join(' ')} with apt-get (services kept from starting by policy-rc.d)`);
  const previousPolicy = existsSync(POLICY_RC) ? await readFile(POLICY_RC) : undefined;
  await writeFile(POLICY_RC, '#!/bin/sh\n# ferry bench: no service starts during apt-get install\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await execFileAsync('apt-get', ['update'], { env, maxBuffer: 64 << 20 }).catch(() => {});
    await execFileAsync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, maxBuffer: 64 << 20 });
  } catch (error) {
    log(`apt-get install failed: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    if (previousPolicy) await writeFile(POLICY_RC, previousPolicy, { mode: 0o755 });
    else await rm(POLICY_RC, { force: true });
  }
  return missingPackages(packageNames);
}
