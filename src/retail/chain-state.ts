// The simulator's mutable world beyond single stores: the ERP's current prices, inter-store
// transfers on the road and the CRM's loyalty members. Like StoreState it is rebuilt by
// replaying the stream, which is how skipTo() resumes.

import type { Sku } from './catalog.js';
import type { StoreState } from './store-state.js';

export interface PendingTransfer {
  transferNo: number;
  from: StoreState;
  /** [catalogue index, qty] pairs. */
  lines: Array<[number, number]>;
}

export type Tier = 'silver' | 'gold' | 'platinum';
export const TIERS: readonly Tier[] = ['silver', 'gold', 'platinum'];

export interface Member {
  homeStore: number;
  tier: number;
  points: number;
  consent: boolean;
}

export class ChainState {
  /** Current MRP per catalogue index (an MRP revision raises it). */
  mrp!: Int32Array;
  /** Current selling price per catalogue index: MRP, or less during a markdown or promotion. */
  price!: Int32Array;
  /** Incoming transfers per receiving store index, oldest first. */
  incoming!: Map<number, PendingTransfer[]>;
  members!: Member[];
  private transferNo = 0;

  constructor(readonly catalog: readonly Sku[]) {
    this.reset();
  }

  reset(): void {
    this.mrp = Int32Array.from(this.catalog, (s) => s.mrp_paise);
    this.price = Int32Array.from(this.catalog, (s) => s.mrp_paise);
    this.incoming = new Map();
    this.members = [];
    this.transferNo = 0;
  }

  nextTransferNo(): number {
    return ++this.transferNo;
  }
}
