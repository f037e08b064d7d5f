import { Prng, formatIst, parseEventTs, shuffle, type SimEvent } from '../retail/index.js';

/**
 * What goes wrong in real retail feeds (RETAIL.md), switched on by flags so the platform can be
 * seen to survive it: stores that upload hours of bills late, POS retries that send a bill twice,
 * clocks that drift by minutes, batches that arrive out of order, and records that are simply
 * wrong. Every fault is decided per event from (seed, sequence number), so a stream with faults
 * is as reproducible as one without — except the order within a batch, which follows timing.
 */
export interface FeedFaults {
  /** Share of events whose event_ts is moved back 1 minute to 24 hours (they arrive late). */
  lateRate: number;
  /** Share of events delivered twice (same event id, same content). */
  duplicateRate: number;
  /** Share of events corrupted so that validation must refuse them (they go to quarantine). */
  malformedRate: number;
  /** Each store's clock is off by a fixed amount within ± this many minutes. */
  clockSkewMinutes: number;
  /** Deliver each batch in a shuffled order. */
  shuffle: boolean;
  /**
   * Stores (chosen by the seed) whose connection dies: after `silentAfter` operational events
   * nothing more arrives from them. The dashboard must say so rather than show old numbers.
   */
  silentStores?: number;
  /** Operational events into the stream at which the silent stores stop. Default 5,000. */
  silentAfter?: number;
}

export const DEFAULT_SILENT_AFTER = 5_000;

export const NO_FAULTS: FeedFaults = {
  lateRate: 0,
  duplicateRate: 0,
  malformedRate: 0,
  clockSkewMinutes: 0,
  shuffle: false,
};

export function hasFaults(f: FeedFaults): boolean {
  return (
    f.lateRate > 0 ||
    f.duplicateRate > 0 ||
    f.malformedRate > 0 ||
    f.clockSkewMinutes > 0 ||
    f.shuffle ||
    (f.silentStores ?? 0) > 0
  );
}

/** The ids of the stores that go silent: `count` of `storeIds`, drawn by the seed. */
export function silentStoreIds(
  storeIds: readonly string[],
  count: number,
  seed: number,
): Set<string> {
  const rng = new Prng(seed, 'silent-stores');
  return new Set(shuffle(rng, [...storeIds]).slice(0, Math.min(count, storeIds.length)));
}

/** The copies of one event to deliver (none, one or two), with its faults applied. */
export function applyFaults(event: SimEvent, faults: FeedFaults, seed: number): SimEvent[] {
  if (!hasFaults(faults)) return [event];
  const rng = new Prng(seed, `faults:${event.seq}`);
  let value = event.value;
  const ts = typeof value.event_ts === 'string' ? parseEventTs(value.event_ts) : null;
  if (ts !== null) {
    let shifted = ts;
    if (faults.clockSkewMinutes > 0 && typeof value.store_id === 'string') {
      const storeRng = new Prng(seed, `skew:${value.store_id}`);
      shifted += Math.round((storeRng.float() * 2 - 1) * faults.clockSkewMinutes * 60_000);
    }
    if (rng.chance(faults.lateRate)) shifted -= rng.int(60_000, 24 * 3_600_000);
    if (shifted !== ts) value = { ...value, event_ts: formatIst(shifted) };
  }
  if (rng.chance(faults.malformedRate)) value = corrupt(value, rng);
  const delivered = { ...event, value };
  return rng.chance(faults.duplicateRate) ? [delivered, delivered] : [delivered];
}

/** One of the ways a record goes bad in practice: a field lost, a quantity of 0, a bad timestamp. */
function corrupt(value: Record<string, unknown>, rng: Prng): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...value };
  switch (rng.int(0, 2)) {
    case 0:
      delete copy.store_id;
      break;
    case 1:
      copy.event_ts = 'yesterday evening';
      break;
    default:
      if (Array.isArray(copy.lines) && copy.lines.length > 0) {
        copy.lines = [
          { ...(copy.lines[0] as object), qty: 0, counted_qty: -1 },
          ...copy.lines.slice(1),
        ];
      } else if ('qty' in copy) copy.qty = 0;
      else delete copy.event_id;
  }
  return copy;
}
