import { createRequire } from 'node:module';
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';

/** A CRC-32C function: `previous` continues a checksum over a later chunk (0 starts one). */
type Crc32cFunction = (data: Uint8Array, previous?: number) => number;

/** Below this many bytes both implementations cost about the same (0.14-0.16 µs at 100 B), so a
 *  process that only checksums small things never loads the larger addon. */
const FAST_CRC32C_MIN_BYTES = 1024;
/** A process that has not preloaded the addon (a client, the CLI) loads it only for an input this
 *  large, where the 60-100 ms load pays for itself; until then @node-rs/crc32 checks its batches. */
const LAZY_LOAD_MIN_BYTES = 64 * 1024;

/** null: not tried yet; false: unavailable here. */
let fastCrc32c: Crc32cFunction | false | null = null;

/**
 * The CRC-32C of aws-c-checksums (the native core of `aws-crt`): three interleaved hardware CRC
 * chains folded with carry-less multiplies, 20 GB/s on 1 MiB here against 4-5 GB/s for
 * @node-rs/crc32 (0.05 ms per MiB instead of 0.21-0.32). Checking each appended batch at the
 * slower speed is what held flush `none` with 1 MiB batches under 80% of a plain write loop
 * (docs/storage.md, "flush-none 1 MiB target").
 *
 * The prebuilt addon ships inside the aws-crt tarball (its install script builds only when the
 * binary is missing, and package.json denies it). It is loaded directly: aws-crt's own entry runs
 * `ldd --version` in a child process to tell glibc from musl and pulls in its MQTT and HTTP
 * JavaScript. Loading the addon still costs 60-100 ms (its TLS library reads the system CA
 * bundle): storage preloads it when a log opens (`preloadCrc32c`), other processes on their
 * first input of 64 KiB or more. Platforms without a prebuilt
 * binary, or with one that fails the check value, keep @node-rs/crc32.
 */
function loadFastCrc32c(): Crc32cFunction | false {
  let runtime = 'cruntime';
  if (process.platform === 'linux') {
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    runtime = header?.glibcVersionRuntime !== undefined ? 'glibc' : 'musl';
  }
  try {
    const require = createRequire(import.meta.url);
    const binding = require(`aws-crt/dist/bin/${process.platform}-${process.arch}-${runtime}/aws-crt-nodejs.node`) as {
      checksums_crc32c?: unknown;
    };
    if (typeof binding.checksums_crc32c !== 'function') return false;
    const candidate = binding.checksums_crc32c as Crc32cFunction;
    if (candidate(Buffer.from('123456789'), 0) >>> 0 !== 0xe3069283) return false;
    return candidate;
  } catch {
    return false;
  }
}

/** Loads the fast CRC-32C now (a broker does so at start instead of on its first large batch);
 *  returns the implementation in use from here on. */
export function preloadCrc32c(): 'aws-crt' | '@node-rs/crc32' {
  fastCrc32c ??= loadFastCrc32c();
  return fastCrc32c === false ? '@node-rs/crc32' : 'aws-crt';
}

/**
 * CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2: aws-crt's (see above) from 1 KiB
 * where its prebuilt binary loads, else @node-rs/crc32 (napi-rs; shared/DEPENDENCIES.md).
 * Note: node:zlib's crc32 is CRC-32 (IEEE), a different polynomial.
 */
export function crc32c(data: Uint8Array, initial = 0): number {
  if (data.length >= FAST_CRC32C_MIN_BYTES) {
    if (fastCrc32c === null && data.length >= LAZY_LOAD_MIN_BYTES) fastCrc32c = loadFastCrc32c();
    if (fastCrc32c !== null && fastCrc32c !== false) return fastCrc32c(data, initial) >>> 0;
  }
  return nodeRsCrc32c(data, initial) >>> 0;
}
