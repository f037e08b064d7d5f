// The last few bills of a store, kept so that a return can refer to one. Stored in flat typed
// arrays rather than objects: a sale is 80% of the stream, and allocating per bill made the
// garbage collector the simulator's biggest cost.

/** Most lines a bill has (the contract's simulator makes 1–8). */
export const MAX_BILL_LINES = 40;

export class RecentBills {
  /** Bills held; slots 0..size-1 are live. */
  size = 0;
  private cursor = 0;
  private readonly billNos: Float64Array;
  private readonly tenders: Uint8Array;
  private readonly lineCounts: Uint8Array;
  private readonly positions: Int32Array;
  private readonly qtys: Int32Array;
  private readonly prices: Int32Array;
  private readonly discounts: Int32Array;

  constructor(readonly capacity: number) {
    this.billNos = new Float64Array(capacity);
    this.tenders = new Uint8Array(capacity);
    this.lineCounts = new Uint8Array(capacity);
    const lines = capacity * MAX_BILL_LINES;
    this.positions = new Int32Array(lines);
    this.qtys = new Int32Array(lines);
    this.prices = new Int32Array(lines);
    this.discounts = new Int32Array(lines);
  }

  clear(): void {
    this.size = 0;
    this.cursor = 0;
  }

  /** Starts a bill in a free slot or, when full, over the oldest one; returns the slot. */
  open(billNo: number): number {
    let slot: number;
    if (this.size < this.capacity) {
      slot = this.size++;
    } else {
      slot = this.cursor;
      this.cursor = (this.cursor + 1) % this.capacity;
    }
    this.billNos[slot] = billNo;
    this.lineCounts[slot] = 0;
    return slot;
  }

  addLine(slot: number, pos: number, qty: number, pricePaise: number, discountPaise: number): void {
    const i = slot * MAX_BILL_LINES + (this.lineCounts[slot] as number);
    this.positions[i] = pos;
    this.qtys[i] = qty;
    this.prices[i] = pricePaise;
    this.discounts[i] = discountPaise;
    this.lineCounts[slot] = (this.lineCounts[slot] as number) + 1;
  }

  setTender(slot: number, tender: number): void {
    this.tenders[slot] = tender;
  }

  /** Whether the bill already has a line for an assortment slot. */
  hasPos(slot: number, pos: number): boolean {
    const base = slot * MAX_BILL_LINES;
    const end = base + (this.lineCounts[slot] as number);
    for (let i = base; i < end; i++) if (this.positions[i] === pos) return true;
    return false;
  }

  billNo(slot: number): number {
    return this.billNos[slot] as number;
  }

  tender(slot: number): number {
    return this.tenders[slot] as number;
  }

  lineCount(slot: number): number {
    return this.lineCounts[slot] as number;
  }

  pos(slot: number, line: number): number {
    return this.positions[slot * MAX_BILL_LINES + line] as number;
  }

  qty(slot: number, line: number): number {
    return this.qtys[slot * MAX_BILL_LINES + line] as number;
  }

  price(slot: number, line: number): number {
    return this.prices[slot * MAX_BILL_LINES + line] as number;
  }

  discount(slot: number, line: number): number {
    return this.discounts[slot * MAX_BILL_LINES + line] as number;
  }

  /** Forgets a bill (it was returned against; a bill is returned at most once). */
  remove(slot: number): void {
    const last = --this.size;
    if (slot !== last) {
      this.billNos[slot] = this.billNos[last] as number;
      this.tenders[slot] = this.tenders[last] as number;
      this.lineCounts[slot] = this.lineCounts[last] as number;
      const from = last * MAX_BILL_LINES;
      const to = slot * MAX_BILL_LINES;
      this.positions.copyWithin(to, from, from + MAX_BILL_LINES);
      this.qtys.copyWithin(to, from, from + MAX_BILL_LINES);
      this.prices.copyWithin(to, from, from + MAX_BILL_LINES);
      this.discounts.copyWithin(to, from, from + MAX_BILL_LINES);
    }
    if (this.cursor >= this.size) this.cursor = 0;
  }
}
