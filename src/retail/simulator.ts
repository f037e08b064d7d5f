// The simulated chain: a deterministic, endless stream of retail events. Position `seq` fully
// determines an event's content (except event_ts, which comes from the clock), so a consumer
// that crashed resumes with skipTo(lastSeq + 1) and gets exactly the events it had not seen.
//
// The stream starts with master data (every store, then every product) and continues with
// operational events: ~80% POS, 7% inventory counts, 5% reservations, 8% shipments, each for a
// store picked by its sales volume (hypermarket 8×, supermarket 2×, express 0.5×).

import { buildAssortment, skuPopularity } from './assortment.js';
import { generateCatalog, type Sku } from './catalog.js';
import { dcId, simEventId } from './ids.js';
import { formatIst } from './ist-time.js';
import { Prng, WeightedSampler } from './prng.js';
import type { SimContext } from './sim-context.js';
import { inventoryCount } from './sim-counts.js';
import { posTransaction } from './sim-pos.js';
import { reservation } from './sim-reservations.js';
import { shipment } from './sim-shipments.js';
import { StoreState } from './store-state.js';
import { FORMAT_VOLUME, generateStores, type Region, type Store } from './stores.js';

export interface SimEvent {
  topic: string;
  /** Message key: `store_id` for store events, `sku` for products. */
  key: string;
  value: Record<string, unknown>;
  /** Position in the stream, from 0. */
  seq: number;
}

export interface SimulatorOptions {
  /** Seeds everything; a non-negative safe integer. It appears in every event_id. */
  seed: number;
  /** Number of stores. Default 800. */
  stores?: number;
  /** Number of SKUs in the catalogue. Default 3000. */
  skus?: number;
  /** Current time in epoch ms, for event_ts. Default `Date.now`. */
  clock?: () => number;
}

/** Event mix by topic (RETAIL.md-inspired, assumed). */
export const EVENT_MIX = {
  'pos.transactions': 0.8,
  'inventory.counts': 0.07,
  'orders.reservations': 0.05,
  'logistics.shipments': 0.08,
} as const;

const OPERATIONAL = [
  ['pos.transactions', posTransaction],
  ['inventory.counts', inventoryCount],
  ['orders.reservations', reservation],
  ['logistics.shipments', shipment],
] as const;

/** Distribution centres per region: 12 in all. */
const DCS: Readonly<Record<Region, readonly string[]>> = {
  North: [dcId(1), dcId(2), dcId(3)],
  West: [dcId(4), dcId(5), dcId(6)],
  South: [dcId(7), dcId(8), dcId(9)],
  East: [dcId(10), dcId(11)],
  Central: [dcId(12)],
};

/**
 * A deterministic simulator of the chain's source systems.
 *
 * @example
 * const sim = new Simulator({ seed: 42 });
 * const first = sim.next(); // { topic: 'erp.stores', key: 'S0001', seq: 0, value: {...} }
 * sim.skipTo(1_000_000);    // resume: the next event is the one at seq 1,000,000
 */
export class Simulator {
  readonly stores: Store[];
  readonly catalog: Sku[];
  readonly seed: number;

  private readonly clock: () => number;
  private readonly states: StoreState[];
  private readonly storePicker: WeightedSampler;
  private readonly typePicker: WeightedSampler;
  private readonly masterCount: number;
  private ctx!: SimContext;
  private seq = 0;
  private shipmentNo = 0;
  private lastMs = -Infinity;
  private lastTs = '';
  private lookup?: { stores: Map<string, StoreState>; skus: Map<string, number> };

  constructor(opts: SimulatorOptions) {
    const { seed } = opts;
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`seed must be a non-negative safe integer: ${seed}`);
    this.seed = seed;
    this.clock = opts.clock ?? Date.now;
    this.stores = generateStores(opts.stores ?? 800, seed);
    this.catalog = generateCatalog(opts.skus ?? 3000, seed);
    if (this.stores.length === 0 || this.catalog.length === 0) {
      throw new RangeError('the simulator needs at least one store and one SKU');
    }
    this.masterCount = this.stores.length + this.catalog.length;
    const popularity = skuPopularity(this.catalog, seed);
    this.states = this.stores.map(
      (store) =>
        new StoreState(
          store,
          buildAssortment(store, this.catalog, popularity, seed),
          DCS[store.region],
        ),
    );
    this.storePicker = new WeightedSampler(this.stores.map((s) => FORMAT_VOLUME[s.format]));
    this.typePicker = new WeightedSampler(OPERATIONAL.map(([topic]) => EVENT_MIX[topic]));
    this.reset();
  }

  /** Position of the event the next call to next() returns. */
  get position(): number {
    return this.seq;
  }

  /** The next event of the stream. */
  next(): SimEvent {
    const seq = this.seq++;
    const ms = this.stamp();
    const ctx = this.ctx;
    ctx.emit = true;
    ctx.seq = seq;
    ctx.eventId = simEventId(this.seed, seq);
    ctx.eventTs = this.lastTs;
    ctx.eventMs = ms;
    if (seq < this.masterCount) return this.master(seq);
    const [topic, key, value] = this.operational();
    return { topic, key, value: value as unknown as Record<string, unknown>, seq };
  }

  /**
   * Fast-forwards (or rewinds) so that next() returns the event at `seq`. Regenerates the
   * skipped events' effects without building them and without reading the clock.
   */
  skipTo(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`bad stream position: ${seq}`);
    if (seq < this.seq) this.reset();
    const ctx = this.ctx;
    ctx.emit = false;
    if (this.seq < this.masterCount) this.seq = Math.min(seq, this.masterCount);
    while (this.seq < seq) {
      ctx.seq = this.seq++;
      this.operational();
    }
  }

  /** Whether an event is master data (`erp.*`), emitted before all operational events. */
  isMaster(e: SimEvent): boolean {
    return e.topic.startsWith('erp.');
  }

  /**
   * Units truly on the shelf for a (store, SKU) right now, or undefined if the store does not
   * carry the SKU. The world the events describe, for tests and for checking a pipeline's
   * projection against reality.
   */
  trueStock(storeId: string, sku: string): number | undefined {
    this.lookup ??= {
      stores: new Map(this.states.map((st) => [st.store.store_id, st])),
      skus: new Map(this.catalog.map((s, i) => [s.sku, i])),
    };
    const st = this.lookup.stores.get(storeId);
    const index = this.lookup.skus.get(sku);
    if (st === undefined || index === undefined) return undefined;
    const pos = st.assortment.skus.indexOf(index);
    return pos < 0 ? undefined : st.stock[pos];
  }

  private reset(): void {
    this.seq = 0;
    this.shipmentNo = 0;
    for (const st of this.states) st.reset(this.seed);
    this.ctx = {
      rng: new Prng(this.seed, 'operations'),
      catalog: this.catalog,
      emit: false,
      seq: 0,
      eventId: '',
      eventTs: '',
      eventMs: 0,
      nextShipmentNo: () => ++this.shipmentNo,
    };
  }

  /** Reads the clock, never going back in time; formats once per distinct millisecond. */
  private stamp(): number {
    const now = Math.floor(this.clock());
    if (!Number.isFinite(now)) throw new RangeError(`the simulator clock returned ${now}`);
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastTs = formatIst(now);
    }
    return this.lastMs;
  }

  private master(seq: number): SimEvent {
    const envelope = { event_id: this.ctx.eventId, event_ts: this.ctx.eventTs };
    if (seq < this.stores.length) {
      const store = this.stores[seq] as Store;
      return { topic: 'erp.stores', key: store.store_id, value: { ...envelope, ...store }, seq };
    }
    const sku = this.catalog[seq - this.stores.length] as Sku;
    return { topic: 'erp.products', key: sku.sku, value: { ...envelope, ...sku }, seq };
  }

  private operational(): readonly [string, string, object | null] {
    const rng = this.ctx.rng;
    const [topic, generate] = OPERATIONAL[
      this.typePicker.sample(rng)
    ] as (typeof OPERATIONAL)[number];
    const st = this.states[this.storePicker.sample(rng)] as StoreState;
    return [topic, st.store.store_id, generate(this.ctx, st)];
  }
}
