import { createRequire } from 'node:module';
import { type ErrorCode, FerryError } from './errors.ts';

const requireFromHere = createRequire(import.meta.url);

/**
 * A dependency loaded on first use instead of at import: native codecs and the SMTP client cost
 * megabytes of RSS each (snappy 8.6, lz4-napi 6.7, nodemailer 23.5 measured as lone imports)
 * that a broker which never sees a compressed batch or sends an email should not pay. Loading is
 * synchronous (`require` of the package's CommonJS entry) so the callers' APIs stay synchronous.
 * A package that cannot be loaded gives a FerryError with `errorCode` naming the package and
 * what needed it; the next call tries again.
 */
export function lazyModule<T>(
  packageName: string,
  purpose: string,
  errorCode: ErrorCode,
  load: (name: string) => unknown = requireFromHere,
): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    try {
      loaded = load(packageName) as T;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new FerryError(
        errorCode,
        `${purpose} needs the npm package ${packageName}, which could not be loaded: ${message}`,
        { package: packageName },
        { cause: error },
      );
    }
    return loaded;
  };
}

/** Whether a package was loaded through `lazyModule` (or any CommonJS require) in this process. */
export function isModuleLoaded(packageName: string): boolean {
  let entry: string;
  try {
    entry = requireFromHere.resolve(packageName);
  } catch {
    return false;
  }
  return requireFromHere.cache[entry] !== undefined;
}
