/**
 * fast-check settings for the codec tests: FERRY_SEED replays a run, otherwise a fresh seed is
 * drawn and printed (fast-check also prints seed and path of a failing run).
 */
export function fcSeed(): number {
  const fromEnv = process.env.FERRY_SEED;
  const seed = fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 0x7fffffff);
  return seed;
}

/** One seed per test file, printed once, so a whole file can be replayed. */
export function fcParams(numRuns: number): { seed: number; numRuns: number } {
  const seed = fileSeed ?? (fileSeed = announce(fcSeed()));
  return { seed, numRuns };
}

let fileSeed: number | undefined;

function announce(seed: number): number {
  console.log(`FERRY_SEED=${seed}`);
  return seed;
}
