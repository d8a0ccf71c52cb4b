import { type FerryError, toFerryError } from '../../../common/errors.ts';

/** Runs one broker call per item and keeps each item's error apart: one bad partition or topic
 *  never fails its neighbours. Calls start in item order, synchronously. */
export async function settleEach<T, R>(
  items: readonly T[],
  call: (item: T) => Promise<R>,
): Promise<({ value: R; error: null } | { value: null; error: FerryError })[]> {
  const pending = items.map((item) => {
    try {
      return call(item).then(
        (value) => ({ value, error: null }) as const,
        (error: unknown) => ({ value: null, error: toFerryError(error) }) as const,
      );
    } catch (error) {
      return Promise.resolve({ value: null, error: toFerryError(error) } as const);
    }
  });
  return Promise.all(pending);
}
