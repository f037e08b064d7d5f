// Admission control: a bounded number of requests in flight and of body bytes held in memory.
// A request past either bound gets 429 at once, instead of queueing until memory or latency
// runs away; the client retries after Retry-After.

export class Admission {
  private inFlight = 0;
  private pendingBytes = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxPendingBytes: number,
  ) {}

  /** A slot for one request, or null when full. Release it exactly once. */
  enter(): Ticket | null {
    if (this.inFlight >= this.maxInFlight) return null;
    this.inFlight++;
    let held = 0;
    let released = false;
    return {
      reserve: (bytes: number) => {
        if (this.pendingBytes + bytes > this.maxPendingBytes) return false;
        this.pendingBytes += bytes;
        held += bytes;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.pendingBytes -= held;
      },
    };
  }

  get stats(): { inFlight: number; pendingBytes: number } {
    return { inFlight: this.inFlight, pendingBytes: this.pendingBytes };
  }
}

export interface Ticket {
  /** Claims body bytes; false when the process already holds too many. */
  reserve(bytes: number): boolean;
  release(): void;
}
