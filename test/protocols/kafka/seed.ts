/** Seed for randomised tests: FERRY_SEED replays a run; otherwise a fresh one, printed. */
export function testSeed(): number {
  const fromEnv = process.env.FERRY_SEED;
  const seed = fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 0x7fffffff);
  console.log(`FERRY_SEED=${seed}`);
  return seed;
}
