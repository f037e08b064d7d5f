// The simulator's mutable world for one store: the true shelf stock per carried SKU, open
// reservations, recent bills (for returns), shipments on the road and a full count in progress.
// Everything here is rebuilt by replaying the stream, which is how skipTo() resumes.
//
// Ids are kept as numbers and formatted only when an event is emitted, so fast-forwarding
// allocates almost nothing.

import type { Assortment } from './assortment.js';
import { CATEGORIES, type Sku } from './catalog.js';
import { Prng, WeightedSampler } from './prng.js';
import { RecentBills } from './recent-bills.js';
import type { Store, StoreFormat } from './stores.js';

export interface OpenReservation {
  reservationNo: number;
  orderSeq: number;
  pos: number;
  qty: number;
}

export type ShipmentStage = 'dispatched' | 'in_transit' | 'delayed';

export interface ShipmentLinePlan {
  pos: number;
  qty: number;
}

export interface InFlightShipment {
  shipmentNo: number;
  dcId: string;
  stage: ShipmentStage;
  /** Hours from dispatch to the expected arrival. */
  leadHours: number;
  lines: ShipmentLinePlan[];
}

export interface FullCountProgress {
  countNo: number;
  page: number;
  /** Next index into the assortment's aisle order. */
  cursor: number;
}

/** Replenishment state of a slot. */
export const Replenishment = { None: 0, Queued: 1, InFlight: 2 } as const;

/** Share of SKUs that open low (assumed). */
const OPENING_LOW_SHARE = 0.05;

/** Bills remembered per store so that a return can point at one. */
const RECENT_BILLS = 32;

const REGISTERS: Readonly<Record<StoreFormat, number>> = {
  hypermarket: 12,
  supermarket: 5,
  express: 2,
};
/** Staff per register over the day's shifts (assumed). */
const CASHIERS_PER_REGISTER = 3;

export class StoreState {
  readonly registers: number;
  readonly cashiers: number;
  /** Stores this one sends transfers to (same city, else same region); set by the simulator. */
  peers: StoreState[] = [];
  private slots?: Map<number, number>;
  private lifted: { key: string; sampler: WeightedSampler } | null = null;

  /** True units on the shelf per slot (what a perfect count would find). */
  stock!: Int32Array;
  /** Units promised to open online orders per slot. */
  reserved!: Int32Array;
  replenishment!: Uint8Array;
  /** Slots waiting for the next replenishment shipment, in the order they ran low. */
  replenishQueue!: number[];
  /** Shipment events of this store since the replenishment queue became non-empty. */
  replenishWait!: number;
  readonly bills = new RecentBills(RECENT_BILLS);
  reservations!: OpenReservation[];
  shipments!: InFlightShipment[];
  fullCount!: FullCountProgress | null;
  private billNo = 0;
  private countNo = 0;
  private reservationNo = 0;

  constructor(
    /** Position of the store in the chain. */
    readonly index: number,
    readonly store: Store,
    readonly assortment: Assortment,
    readonly dcIds: readonly string[],
  ) {
    this.registers = REGISTERS[store.format];
    this.cashiers = this.registers * CASHIERS_PER_REGISTER;
  }

  /**
   * Starts the store over: opening stock 10–200 per SKU, nothing in flight. The world does not
   * start on the morning after a full restock, so a few SKUs open already low (at most twice
   * their threshold); they are reordered once they next sell.
   */
  reset(seed: number): void {
    const rng = new Prng(seed, `stock:${this.store.store_id}`);
    const n = this.assortment.skus.length;
    this.stock = new Int32Array(n);
    for (let p = 0; p < n; p++) {
      const threshold = this.assortment.thresholds[p] as number;
      this.stock[p] = rng.chance(OPENING_LOW_SHARE) ? rng.int(1, 2 * threshold) : rng.int(10, 200);
    }
    this.reserved = new Int32Array(n);
    this.replenishment = new Uint8Array(n);
    this.replenishQueue = [];
    this.replenishWait = 0;
    this.bills.clear();
    this.reservations = [];
    this.shipments = [];
    this.fullCount = null;
    this.billNo = 0;
    this.countNo = 0;
    this.reservationNo = 0;
    this.lifted = null;
  }

  /** Units a sale or a reservation may take from a slot. */
  available(pos: number): number {
    return (this.stock[pos] as number) - (this.reserved[pos] as number);
  }

  /** Takes units off the shelf (never below zero) and orders more when the slot runs low. */
  take(pos: number, qty: number): void {
    this.stock[pos] = Math.max(0, (this.stock[pos] as number) - qty);
    this.checkReplenishment(pos);
  }

  /** Queues a slot for replenishment once available stock falls below twice its threshold. */
  checkReplenishment(pos: number): void {
    if (this.replenishment[pos] !== Replenishment.None) return;
    if (this.available(pos) < 2 * (this.assortment.thresholds[pos] as number)) {
      this.replenishment[pos] = Replenishment.Queued;
      this.replenishQueue.push(pos);
    }
  }

  /** The slot of a catalogue index, or -1 when the store does not carry it. */
  slotOf(catalogIndex: number): number {
    if (!this.slots) {
      this.slots = new Map();
      this.assortment.skus.forEach((index, pos) => this.slots!.set(index, pos));
    }
    return this.slots.get(catalogIndex) ?? -1;
  }

  /**
   * Draws what shoppers reach for: the assortment's popularity, times the day's category lift
   * (festive goods before Diwali). `key` names the lift, so the sampler is rebuilt once a day.
   */
  demandSampler(catalog: readonly Sku[], lift: Float64Array | null, key: string): WeightedSampler {
    if (lift === null) return this.assortment.demand;
    if (this.lifted?.key !== key) {
      const skus = this.assortment.skus;
      const weights = new Float64Array(skus.length);
      for (let p = 0; p < skus.length; p++) {
        const category = (catalog[skus[p] as number] as Sku).category;
        weights[p] =
          this.assortment.demand.weight(p) * (lift[CATEGORIES.indexOf(category)] as number);
      }
      this.lifted = { key, sampler: new WeightedSampler(weights) };
    }
    return this.lifted.sampler;
  }

  nextBillNo(): number {
    return ++this.billNo;
  }

  nextCountNo(): number {
    return ++this.countNo;
  }

  nextReservationNo(): number {
    return ++this.reservationNo;
  }
}
