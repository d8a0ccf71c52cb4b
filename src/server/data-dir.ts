import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { ErrorCode, FerryError } from '../common/errors.ts';

/**
 * Creates the data directory if missing and checks that we can read and write it, so a bad path
 * fails at start with one clear line instead of deep inside log recovery.
 */
export async function checkDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    const reason =
      errno === 'EEXIST' || errno === 'ENOTDIR'
        ? 'a file is in the way (not a directory)'
        : errno === 'EACCES'
          ? 'permission denied'
          : (error as Error).message;
    throw new FerryError(
      ErrorCode.STORAGE_ERROR,
      `data directory ${dataDir} is not usable: ${reason}`,
      { dataDir, errno },
      { cause: error },
    );
  }
}
