/**
 * Exponential backoff with full jitter: after the n-th failed attempt, wait a random time between
 * 0 and min(maxMs, initialMs * 2^(n-1)). The randomness spreads writers that collided so they do
 * not collide again in lockstep.
 */
export interface BackoffOptions {
  /** Upper bound of the first wait, in ms. Default 5. */
  initialMs?: number;
  /** Cap of any wait, in ms. Default 1000. */
  maxMs?: number;
}

export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = opts.initialMs ?? 5;
  const max = opts.maxMs ?? 1000;
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
