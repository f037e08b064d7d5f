// The simulated chain: a deterministic, endless stream of retail events. Position `seq` fully
// determines an event's content (except event_ts, which comes from the clock), so a consumer
// that crashed resumes with skipTo(lastSeq + 1) and gets exactly the events it had not seen.
//
// The stream starts with master data (every store, then every product) and continues with
// operational events in the EVENT_MIX shares, each for a store picked by its sales volume
// (hypermarket 8×, supermarket 2×, express 0.5×).
//
// Two clocks. By default (live) event_ts is the wall clock and the stream is flat in time: the
// platform paces it at --rate. With `start` (replay) the simulator keeps its own clock: it begins
// at `start` and each event moves it on by 1 / (the chain's event rate at that moment), where the
// rate follows the demand model — each store's opening hours and day shape, the weekday, and the
// calendar's festivals, which also lift categories (sweets before Diwali). Replay time is a pure
// function of the position, so a replayed day is identical, event_ts included, on every run.

import { buildAssortment, skuPopularity } from './assortment.js';
import { generateCatalog, type Sku } from './catalog.js';
import { ChainState } from './chain-state.js';
import { billsPerDay, LiftCache, storeDayShape, WEEKDAY_SHAPE } from './demand.js';
import { dcId, simEventId } from './ids.js';
import { formatIst, HOUR_MS, IST_OFFSET_MS } from './ist-time.js';
import { Prng, WeightedSampler } from './prng.js';
import type { SimContext } from './sim-context.js';
import { inventoryCount } from './sim-counts.js';
import { posTransaction } from './sim-pos.js';
import { customerActivity } from './sim-crm.js';
import { priceChange } from './sim-prices.js';
import { reservation } from './sim-reservations.js';
import { shipment } from './sim-shipments.js';
import { NO_TRANSFER, transfer } from './sim-transfers.js';
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
  /** Current time in epoch ms, for event_ts in live mode. Default `Date.now`. */
  clock?: () => number;
  /**
   * Replay mode: the simulator's own clock starts here (epoch ms) and follows the demand model
   * (hours, weekdays, festivals); `clock` is then not read.
   */
  start?: number;
}

/** Event mix by topic (RETAIL.md-inspired, assumed). */
export const EVENT_MIX = {
  'pos.transactions': 0.78,
  'inventory.counts': 0.07,
  'orders.reservations': 0.05,
  'logistics.shipments': 0.06,
  'inventory.transfers': 0.01,
  'erp.prices': 0.005,
  'crm.customers': 0.025,
} as const;

type OperationalTopic = keyof typeof EVENT_MIX;
const OPERATIONAL = Object.keys(EVENT_MIX) as OperationalTopic[];
const POS = OPERATIONAL.indexOf('pos.transactions');

/** The replay clock's demand for one IST hour: event rate, POS share and who sells. */
interface HourDemand {
  /** Index of the hour since the epoch (IST). */
  hour: number;
  /** Operational events per second of simulated time. */
  eventsPerSecond: number;
  typePicker: WeightedSampler;
  /** Stores by their POS demand this hour; null when every store is closed. */
  posStores: WeightedSampler | null;
  /** `YYYY-MM-DD` (IST) of the hour. */
  date: string;
}

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
  private readonly chain: ChainState;
  private readonly start: number | undefined;
  /** Replay clock: the time of the next event, epoch ms (fractional). */
  private simMs = 0;
  private hourDemand: HourDemand | null = null;
  private readonly lifts = new LiftCache();
  private readonly dayShapes: Float64Array[];
  /** Each store's POS events on a normal weekday (returns and voids come out of the same rate). */
  private readonly posPerDay: Float64Array;
  /** Non-POS events per second (counts, shipments, … run day and night at a flat rate). */
  private readonly otherPerSecond: number;

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
    if (opts.start !== undefined && !Number.isFinite(opts.start))
      throw new RangeError(`bad replay start: ${opts.start}`);
    this.start = opts.start;
    this.masterCount = this.stores.length + this.catalog.length;
    const popularity = skuPopularity(this.catalog, seed);
    this.states = this.stores.map(
      (store, i) =>
        new StoreState(
          i,
          store,
          buildAssortment(store, this.catalog, popularity, seed),
          DCS[store.region],
        ),
    );
    linkPeers(this.states);
    this.chain = new ChainState(this.catalog);
    this.storePicker = new WeightedSampler(this.stores.map((s) => FORMAT_VOLUME[s.format]));
    this.typePicker = new WeightedSampler(OPERATIONAL.map((topic) => EVENT_MIX[topic]));
    this.dayShapes = this.stores.map(storeDayShape);
    this.posPerDay = Float64Array.from(this.stores, (s) => billsPerDay(s.format));
    const chainPosPerDay = this.posPerDay.reduce((a, b) => a + b, 0);
    this.otherPerSecond =
      ((chainPosPerDay / 86_400) * (1 - EVENT_MIX['pos.transactions'])) /
      EVENT_MIX['pos.transactions'];
    this.reset();
  }

  /** Position of the event the next call to next() returns. */
  get position(): number {
    return this.seq;
  }

  /** Whether the simulator keeps its own (replay) clock. */
  get replaying(): boolean {
    return this.start !== undefined;
  }

  /**
   * Replay mode: the event time (epoch ms) of the event next() returns; live mode: undefined.
   * A source paces a replay with it (send an event once its time has come).
   */
  get nextEventMs(): number | undefined {
    if (this.start === undefined) return undefined;
    return this.seq < this.masterCount ? this.start : Math.floor(this.simMs);
  }

  /** The next event of the stream. */
  next(): SimEvent {
    const seq = this.seq++;
    const ms = this.start === undefined ? this.stamp() : this.replayStamp(seq);
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

  /** Whether an event is master data, emitted as a burst before all operational events. */
  isMaster(e: SimEvent): boolean {
    return e.seq < this.masterCount;
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
    this.simMs = this.start ?? 0;
    this.hourDemand = null;
    for (const st of this.states) st.reset(this.seed);
    this.chain.reset();
    this.ctx = {
      rng: new Prng(this.seed, 'operations'),
      catalog: this.catalog,
      chain: this.chain,
      categoryLift: null,
      liftKey: '',
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

  /** Replay: master data carries the start time; operational events the replay clock's. */
  private replayStamp(seq: number): number {
    const ms = seq < this.masterCount ? (this.start as number) : Math.floor(this.simMs);
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastTs = formatIst(ms);
    }
    return ms;
  }

  /** The demand of the replay clock's current hour, rebuilt when the hour changes. */
  private demandNow(): HourDemand {
    const hour = Math.floor((this.simMs + IST_OFFSET_MS) / HOUR_MS);
    if (this.hourDemand?.hour === hour) return this.hourDemand;
    const istMs = hour * HOUR_MS;
    const date = new Date(istMs).toISOString().slice(0, 10);
    const hourOfDay = hour % 24;
    const weekday = WEEKDAY_SHAPE[new Date(istMs).getUTCDay()] as number;
    const weights = new Float64Array(this.stores.length);
    let posPerHour = 0;
    this.stores.forEach((store, i) => {
      const lift = this.lifts.get(date, store.region).volume;
      const w =
        (this.posPerDay[i] as number) *
        ((this.dayShapes[i] as Float64Array)[hourOfDay] as number) *
        weekday *
        lift;
      weights[i] = w;
      posPerHour += w;
    });
    const posPerSecond = posPerHour / 3600;
    const mix = OPERATIONAL.map((topic, i) =>
      i === POS
        ? posPerSecond
        : (this.otherPerSecond * EVENT_MIX[topic]) / (1 - EVENT_MIX['pos.transactions']),
    );
    this.hourDemand = {
      hour,
      eventsPerSecond: posPerSecond + this.otherPerSecond,
      typePicker: new WeightedSampler(mix),
      posStores: posPerHour > 0 ? new WeightedSampler(weights) : null,
      date,
    };
    return this.hourDemand;
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
    const ctx = this.ctx;
    const rng = ctx.rng;
    let st: StoreState;
    let topic: OperationalTopic;
    if (this.start === undefined) {
      topic = OPERATIONAL[this.typePicker.sample(rng)] as OperationalTopic;
      st = this.states[this.storePicker.sample(rng)] as StoreState;
    } else {
      const demand = this.demandNow();
      topic = OPERATIONAL[demand.typePicker.sample(rng)] as OperationalTopic;
      const pos = topic === 'pos.transactions' && demand.posStores !== null;
      st = this.states[(pos ? demand.posStores! : this.storePicker).sample(rng)] as StoreState;
      const lift = this.lifts.get(demand.date, st.store.region);
      ctx.categoryLift = lift.category;
      ctx.liftKey = `${demand.date}|${st.store.region}`;
      // The clock moves on by one mean gap at this hour's rate (no jitter: a replay's event
      // times stay a pure function of the position).
      this.simMs += 1000 / demand.eventsPerSecond;
    }
    const storeId = st.store.store_id;
    switch (topic) {
      case 'pos.transactions':
        return [topic, storeId, posTransaction(ctx, st)];
      case 'inventory.counts':
        return [topic, storeId, inventoryCount(ctx, st)];
      case 'orders.reservations':
        return [topic, storeId, reservation(ctx, st)];
      case 'logistics.shipments':
        return [topic, storeId, shipment(ctx, st)];
      case 'inventory.transfers': {
        const t = transfer(ctx, st);
        // Nothing to send or receive: the store does a cycle count instead.
        if (t === NO_TRANSFER) return ['inventory.counts', storeId, inventoryCount(ctx, st)];
        return [topic, storeId, t];
      }
      case 'erp.prices':
        return priceChange(ctx, st);
      case 'crm.customers':
        return [topic, storeId, customerActivity(ctx, st)];
    }
  }
}

/** Each store's transfer partners: the other stores of its city, else of its region. */
function linkPeers(states: StoreState[]): void {
  const group = (key: (st: StoreState) => string) => {
    const groups = new Map<string, StoreState[]>();
    for (const st of states) {
      const list = groups.get(key(st));
      if (list) list.push(st);
      else groups.set(key(st), [st]);
    }
    return groups;
  };
  const byCity = group((st) => st.store.city);
  const byRegion = group((st) => st.store.region);
  for (const st of states) {
    const city = byCity.get(st.store.city)!.filter((o) => o !== st);
    st.peers = city.length > 0 ? city : byRegion.get(st.store.region)!.filter((o) => o !== st);
  }
}

/** Epoch ms of 00:00 IST on a `YYYY-MM-DD` date. */
export function istMidnight(date: string): number {
  const ms = Date.parse(`${date}T00:00:00+05:30`);
  if (Number.isNaN(ms)) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return ms;
}
