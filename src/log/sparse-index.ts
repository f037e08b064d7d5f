// A sparse map from offset to file position inside one segment: one entry every
// `intervalBytes` of records, so finding an offset reads at most one interval past the entry,
// and the index of a 64 MiB segment is a few thousand numbers. It lives in memory only and is
// rebuilt from the segment file when needed, so it can never disagree with the data.

export class SparseIndex {
  private readonly offsets: number[] = [];
  private readonly positions: number[] = [];
  private lastIndexedPosition = -Infinity;

  constructor(private readonly intervalBytes: number) {}

  /** Notes that the record `offset` starts at `position`; keeps it if an interval has passed. */
  maybeAdd(offset: number, position: number): void {
    if (position - this.lastIndexedPosition < this.intervalBytes) return;
    this.offsets.push(offset);
    this.positions.push(position);
    this.lastIndexedPosition = position;
  }

  /** The position of the last indexed record at or before `offset`, or 0 (segment start). */
  floor(offset: number): number {
    let lo = 0;
    let hi = this.offsets.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid]! <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.positions[found]!;
  }

  /** Forgets entries at or past `position`, after the file was cut back to it. */
  truncateTo(position: number): void {
    while (this.positions.length > 0 && this.positions[this.positions.length - 1]! >= position) {
      this.positions.pop();
      this.offsets.pop();
    }
    this.lastIndexedPosition =
      this.positions.length > 0 ? this.positions[this.positions.length - 1]! : -Infinity;
  }

  get size(): number {
    return this.offsets.length;
  }
}
