// A hand-written PRNG instead of a library or Math.random: it is tiny, seedable, and built
// only from 32-bit integer operations (Math.imul, shifts), so a seed yields the same stream on
// every Node version and platform. The simulator's replay guarantee (same seq → same event)
// rests on that. Sampling helpers avoid Math.pow/log in hot paths for the same reason and for
// speed: distributions are precomputed once into cumulative tables.

const TWO_POW_32 = 4294967296;

/** FNV-1a over UTF-16 code units: names a sub-stream ("stores", "catalog", …) of one seed. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One splitmix32 step: a strong 32-bit mixer, used to spread a seed over the state words. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** seeded from (seed, stream). Independent streams of one seed let a part of the
 * simulation (e.g. the catalogue) stay the same when another part changes how much it draws.
 */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = '') {
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`PRNG seed must be a safe integer: ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    let h = mix32(lo ^ mix32(hi ^ mix32(fnv1a(stream))));
    this.s0 = h = mix32(h);
    this.s1 = h = mix32(h);
    this.s2 = h = mix32(h);
    this.s3 = mix32(h);
    // The all-zero state is the one fixed point of xoshiro; mix32 makes it near impossible.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator with the given raw state words (the reference test vectors start from one). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Prng {
    const rng = new Prng(0);
    rng.s0 = s0 | 0;
    rng.s1 = s1 | 0;
    rng.s2 = s2 | 0;
    rng.s3 = s3 | 0;
    return rng;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /**
   * Bell-shaped value (Irwin–Hall sum of four uniforms, rescaled to the given mean and standard
   * deviation). Bounded within ±3.46 sd, which suits prices and quantities that must not run wild.
   */
  normalish(mean: number, sd: number): number {
    const sum = this.float() + this.float() + this.float() + this.float();
    // The sum has variance 4/12, so sqrt(3) rescales it to unit variance.
    return mean + (sum - 2) * 1.7320508075688772 * sd;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Draws indices 0..n-1 with fixed relative weights: a cumulative table and a binary search, so
 * a draw costs one random number and log2(n) comparisons.
 */
export class WeightedSampler {
  private readonly cumulative: Float64Array;

  constructor(weights: ArrayLike<number>) {
    if (weights.length === 0) throw new RangeError('WeightedSampler needs at least one weight');
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i] as number;
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`bad weight at ${i}: ${w}`);
      total += w;
      this.cumulative[i] = total;
    }
    if (total <= 0) throw new RangeError('WeightedSampler needs a positive total weight');
  }

  get size(): number {
    return this.cumulative.length;
  }

  /** The weight of index i as given. */
  weight(i: number): number {
    const c = this.cumulative;
    return (c[i] as number) - (i > 0 ? (c[i - 1] as number) : 0);
  }

  sample(rng: Prng): number {
    const c = this.cumulative;
    const target = rng.float() * (c[c.length - 1] as number);
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((c[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Picks one of a few labelled options by weight, e.g. `[['upi', 50], ['cash', 22]]`. */
export function pickWeighted<T>(rng: Prng, options: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of options) total += w;
  let target = rng.float() * total;
  for (const [value, w] of options) {
    target -= w;
    if (target < 0) return value;
  }
  return (options[options.length - 1] as readonly [T, number])[0];
}

/**
 * Zipf-like popularity weights: rank r (0-based) gets 1 / (r + 1)^exponent. Math.pow runs only
 * here, at setup; an ulp of difference between engines could move a draw only if it landed
 * exactly on a table boundary.
 */
export function zipfWeights(n: number, exponent: number): Float64Array {
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = 1 / Math.pow(r + 1, exponent);
  return w;
}

/** A sampler over ranks 0..n-1 with Zipf-like popularity (rank 0 the most popular). */
export function zipfSampler(n: number, exponent: number): WeightedSampler {
  return new WeightedSampler(zipfWeights(n, exponent));
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(rng: Prng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
