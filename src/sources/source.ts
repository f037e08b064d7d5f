/**
 * A source turns a source system into events in the log. Lifecycle:
 * `start()` → (events are appended, each acknowledged only once durable) → `stop()`, which
 * resolves after the last in-flight batch is durable and the source's position is saved, so a
 * restart continues exactly after it.
 */
export interface Source {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
}

export interface SourceStatus {
  name: string;
  state: 'idle' | 'running' | 'stopped' | 'finished' | 'failed';
  /** Events appended to the log by this run of the source. */
  eventsAccepted: number;
  /** Events that failed validation and went to quarantine. */
  eventsRejected: number;
  /** The source's own position (simulator: the next sequence number). */
  position: number;
  lastError: string | null;
}
