import seedrandom from 'seedrandom';

/** A seeded uniform [0, 1) generator whose state can be saved and restored (for resume). */
export interface Rng {
  (): number;
  /** The generator's full internal state, JSON-serialisable. */
  state(): object;
}

/** A seeded generator (seedrandom's ARC4), reproducible across platforms. */
export function createRng(seed: number | string): Rng {
  return seedrandom(String(seed), { state: true }) as unknown as Rng;
}

/** A generator continuing exactly from a saved `state()`. */
export function restoreRng(state: object): Rng {
  return seedrandom('', { state: state as never }) as unknown as Rng;
}

/** Fisher-Yates shuffle of `0..n-1` driven by `rng`. */
export function permutation(n: number, rng: () => number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
