import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { lazyModule } from '../../src/common/optional-module.ts';

const execFileAsync = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a module script in a fresh Node (so nothing this test process loaded counts). */
async function runFresh(source: string): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', source], { cwd: REPO_ROOT });
  return stdout.trim();
}

describe('optional modules', () => {
  it('the whole server imports without loading snappy, lz4-napi or nodemailer; a snappy batch loads snappy', async () => {
    const output = await runFresh(`
      await import('./src/server/server.ts');
      const { isModuleLoaded } = await import('./src/common/optional-module.ts');
      const { compress, decompress } = await import('./src/common/compression.ts');
      const names = ['snappy', 'lz4-napi', 'nodemailer'];
      const before = names.map((name) => isModuleLoaded(name));
      const data = Buffer.alloc(1000, 'ferry');
      const roundTrip = decompress('snappy', compress('snappy', data)).equals(data);
      console.log(JSON.stringify({ before, roundTrip, after: names.map((name) => isModuleLoaded(name)) }));
    `);
    assert.deepEqual(JSON.parse(output), { before: [false, false, false], roundTrip: true, after: [true, false, false] });
  });

  it('a package that cannot be loaded is a FerryError naming it and what needed it; the next call tries again', () => {
    let attempts = 0;
    const load = lazyModule<{ ok: true }>('missing-codec', 'zz compression', ErrorCode.UNSUPPORTED_COMPRESSION, (name) => {
      attempts++;
      if (attempts === 1) throw new Error(`Cannot find module '${name}'`);
      return { ok: true };
    });
    assert.throws(load, (error: unknown) => {
      assert.ok(error instanceof FerryError);
      assert.equal(error.code, ErrorCode.UNSUPPORTED_COMPRESSION);
      assert.match(error.message, /zz compression needs the npm package missing-codec, which could not be loaded: Cannot find module/);
      return true;
    });
    assert.deepEqual(load(), { ok: true });
    assert.deepEqual(load(), { ok: true });
    assert.equal(attempts, 2);
  });
});
