// What an event generator gets besides the store: the shared random stream, the catalogue and
// the identity of the event being made. `emit` is false while skipTo() fast-forwards: the
// generator must then make exactly the same draws and state changes but may skip building the
// payload (that is what makes resuming fast).

import type { Sku } from './catalog.js';
import type { ChainState } from './chain-state.js';
import type { Prng } from './prng.js';

export interface SimContext {
  readonly rng: Prng;
  readonly catalog: readonly Sku[];
  readonly chain: ChainState;
  /**
   * The day's demand lift per category (indexed like CATEGORIES) for the store being simulated,
   * or null for a flat stream; `liftKey` names it (date and region).
   */
  categoryLift: Float64Array | null;
  liftKey: string;
  emit: boolean;
  /** Position of the event in the stream. */
  seq: number;
  /** Envelope of the event being made (meaningful only when `emit`). */
  eventId: string;
  eventTs: string;
  /** `eventTs` as epoch ms, for times derived from it (a shipment's eta). */
  eventMs: number;
  nextShipmentNo(): number;
}
