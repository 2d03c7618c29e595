/** A deterministic pseudo-random source: the same seed yields the same sequence on every platform. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive, uniformly (like Python's `random.randint`). */
  integer(min: number, max: number): number;
  /** A float in [min, max) (like Python's `random.uniform`). */
  uniform(min: number, max: number): number;
}

/**
 * Creates a seeded PRNG (sfc32, seeded through splitmix32): fast, 128-bit state, passes PractRand.
 * @example
 * const random = createRandom(42);
 * random.integer(0, 5); // same value on every run
 */
export function createRandom(seed: number): Random {
  let mix = seed >>> 0;
  const splitmix = () => {
    mix = (mix + 0x9e3779b9) >>> 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  // Discard the first outputs: sfc32 mixes its state during its first rounds.
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    integer: (min, max) => min + Math.floor(next() * (max - min + 1)),
    uniform: (min, max) => min + next() * (max - min),
  };
}
