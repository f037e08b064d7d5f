// The event contract of docs/retail-events.md as TypeScript types and JSON Schemas (draft-07).
// The schemas are what the platform registers in the schema registry, so they are closed
// (additionalProperties: false): a field the contract does not name is a producer bug to reject
// at the door, not something to carry silently into bronze.

import type { GstRate, Sku } from './catalog.js';
import type { Store } from './stores.js';

/** Fields every event carries. */
export interface Envelope {
  /** Deterministic id from the source position; the simulator uses `sim-<seed>-<seq>`. */
  event_id: string;
  /** IST local time with offset and milliseconds, e.g. `2026-11-24T21:03:05.120+05:30`. */
  event_ts: string;
}

export type StoreEvent = Envelope & Store;
export type ProductEvent = Envelope & Sku;

export type Tender = 'cash' | 'upi' | 'card' | 'wallet' | 'store_credit';

export interface PosLine {
  line_no: number;
  sku: string;
  qty: number;
  unit_price_paise: number;
  discount_paise: number;
  gst_rate_pct: GstRate;
}

export interface PosTransactionEvent extends Envelope {
  store_id: string;
  bill_id: string;
  register_id: string;
  cashier_id: string;
  /** A void cancels a completed bill at the till (payment failed, shopper walked away). */
  kind: 'sale' | 'return' | 'void';
  /** The bill a return or void refers to; null for a sale. */
  original_bill_id: string | null;
  tender: Tender;
  lines: PosLine[];
}

export interface CountLine {
  sku: string;
  counted_qty: number;
}

export interface InventoryCountEvent extends Envelope {
  store_id: string;
  count_id: string;
  count_type: 'cycle' | 'full';
  lines: CountLine[];
}

export interface ReservationEvent extends Envelope {
  store_id: string;
  reservation_id: string;
  order_id: string;
  action: 'reserve' | 'release' | 'fulfil';
  sku: string;
  qty: number;
}

export type ShipmentStatus = 'dispatched' | 'in_transit' | 'delayed' | 'received';

export interface ShipmentLine {
  sku: string;
  qty_dispatched: number;
  /** Null unless the shipment's status is `received`. */
  qty_received: number | null;
}

export interface ShipmentEvent extends Envelope {
  store_id: string;
  shipment_id: string;
  dc_id: string;
  status: ShipmentStatus;
  /** Expected arrival (IST, with offset), or null once received. */
  eta: string | null;
  lines: ShipmentLine[];
}

export interface TransferLine {
  sku: string;
  qty: number;
}

/**
 * An inter-store transfer, told by each end: the sending store's `out` when the goods leave,
 * the receiving store's `in` when they arrive (the same transfer_id). Stock moves at each end
 * at its own event's time.
 */
export interface TransferEvent extends Envelope {
  store_id: string;
  transfer_id: string;
  direction: 'out' | 'in';
  /** The store at the other end. */
  other_store_id: string;
  lines: TransferLine[];
}

/** ERP price change: the selling price of a SKU from `effective_from` on (never above MRP). */
export interface PriceChangeEvent extends Envelope {
  sku: string;
  price_paise: number;
  mrp_paise: number;
  reason: 'markdown' | 'promotion' | 'promotion_end' | 'mrp_revision';
  effective_from: string;
}

/**
 * CRM loyalty activity. Personal data stays in the CRM: the lake gets a customer id, the home
 * store, the tier and points (what the models need), never a name, phone or e-mail.
 */
export interface CustomerEvent extends Envelope {
  store_id: string;
  customer_id: string;
  action: 'signup' | 'points_earned' | 'points_redeemed' | 'tier_change';
  tier: 'silver' | 'gold' | 'platinum';
  points_delta: number;
  points_balance: number;
  marketing_consent: boolean;
}

/** Payload type per topic. */
export interface TopicPayloads {
  'erp.stores': StoreEvent;
  'erp.products': ProductEvent;
  'pos.transactions': PosTransactionEvent;
  'inventory.counts': InventoryCountEvent;
  'orders.reservations': ReservationEvent;
  'logistics.shipments': ShipmentEvent;
  'inventory.transfers': TransferEvent;
  'erp.prices': PriceChangeEvent;
  'crm.customers': CustomerEvent;
}

export type TopicName = keyof TopicPayloads;

export interface TopicDefinition {
  topic: TopicName;
  /** JSON Schema (draft-07) of the value. */
  schema: Record<string, unknown>;
  /** The payload field whose value is the message key (partitioning: one store → one partition). */
  keyField: string;
  /** Master data (`erp.*`) is emitted first, as a burst, before operational events. */
  master: boolean;
}

// ---- schema building blocks ------------------------------------------------------------

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';
const ISO_WITH_OFFSET =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';

const text = { type: 'string', minLength: 1 } as const;
const storeIdSchema = { type: 'string', pattern: '^S[0-9]{4,}$' } as const;
const skuSchema = { type: 'string', pattern: '^SKU[0-9]{5,}$' } as const;
const paise = { type: 'integer', minimum: 0 } as const;
const positiveQty = { type: 'integer', minimum: 1 } as const;
const gstRate = { type: 'integer', enum: [0, 5, 18, 40] } as const;
const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' } as const;

const envelopeProps = {
  event_id: text,
  event_ts: { type: 'string', pattern: ISO_WITH_OFFSET },
} as const;

function objectSchema(
  title: string,
  properties: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    $schema: DRAFT_07,
    title,
    type: 'object',
    properties: { ...envelopeProps, ...properties },
    required: ['event_id', 'event_ts', ...Object.keys(properties)],
    additionalProperties: false,
    ...extra,
  };
}

function lineSchema(properties: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

// ---- one schema per topic --------------------------------------------------------------

export const STORE_SCHEMA = objectSchema('erp.stores', {
  store_id: storeIdSchema,
  name: text,
  city: text,
  region: { type: 'string', enum: ['North', 'West', 'South', 'East', 'Central'] },
  format: { type: 'string', enum: ['hypermarket', 'supermarket', 'express'] },
  opens: hhmm,
  closes: hhmm,
});

export const PRODUCT_SCHEMA = objectSchema('erp.products', {
  sku: skuSchema,
  name: text,
  // Open on purpose: a new category in the ERP must not be rejected; it gets the default threshold.
  category: text,
  pack_size: { type: 'number', exclusiveMinimum: 0 },
  unit: text,
  mrp_paise: paise,
  gst_rate_pct: gstRate,
});

export const POS_TRANSACTION_SCHEMA = objectSchema(
  'pos.transactions',
  {
    store_id: storeIdSchema,
    bill_id: text,
    register_id: text,
    cashier_id: text,
    kind: { type: 'string', enum: ['sale', 'return', 'void'] },
    original_bill_id: { type: ['string', 'null'], minLength: 1 },
    tender: { type: 'string', enum: ['cash', 'upi', 'card', 'wallet', 'store_credit'] },
    lines: {
      type: 'array',
      minItems: 1,
      items: lineSchema({
        line_no: positiveQty,
        sku: skuSchema,
        qty: positiveQty,
        unit_price_paise: paise,
        discount_paise: paise,
        gst_rate_pct: gstRate,
      }),
    },
  },
  {
    // A return or a void names the bill it reverses; a sale names none.
    if: { properties: { kind: { enum: ['return', 'void'] } } },
    then: { properties: { original_bill_id: { type: 'string' } } },
    else: { properties: { original_bill_id: { type: 'null' } } },
  },
);

export const INVENTORY_COUNT_SCHEMA = objectSchema('inventory.counts', {
  store_id: storeIdSchema,
  count_id: text,
  count_type: { type: 'string', enum: ['cycle', 'full'] },
  lines: {
    type: 'array',
    minItems: 1,
    items: lineSchema({ sku: skuSchema, counted_qty: { type: 'integer', minimum: 0 } }),
  },
});

export const RESERVATION_SCHEMA = objectSchema('orders.reservations', {
  store_id: storeIdSchema,
  reservation_id: text,
  order_id: text,
  action: { type: 'string', enum: ['reserve', 'release', 'fulfil'] },
  sku: skuSchema,
  qty: positiveQty,
});

const receivedQty = (type: 'integer' | 'null') => ({
  type: 'array',
  items: { type: 'object', properties: { qty_received: { type } } },
});

const shipmentLine = (qtyReceived: Record<string, unknown>) =>
  lineSchema({ sku: skuSchema, qty_dispatched: positiveQty, qty_received: qtyReceived });

export const SHIPMENT_SCHEMA = objectSchema(
  'logistics.shipments',
  {
    store_id: storeIdSchema,
    shipment_id: text,
    dc_id: text,
    status: { type: 'string', enum: ['dispatched', 'in_transit', 'delayed', 'received'] },
    eta: { type: ['string', 'null'], pattern: ISO_WITH_OFFSET },
    lines: {
      type: 'array',
      minItems: 1,
      items: shipmentLine({ type: ['integer', 'null'], minimum: 0 }),
    },
  },
  {
    // qty_received is known only once the goods are in the store.
    if: { properties: { status: { const: 'received' } } },
    then: { properties: { lines: receivedQty('integer') } },
    else: { properties: { lines: receivedQty('null') } },
  },
);

export const TRANSFER_SCHEMA = objectSchema('inventory.transfers', {
  store_id: storeIdSchema,
  transfer_id: text,
  direction: { type: 'string', enum: ['out', 'in'] },
  other_store_id: storeIdSchema,
  lines: {
    type: 'array',
    minItems: 1,
    items: lineSchema({ sku: skuSchema, qty: positiveQty }),
  },
});

export const PRICE_CHANGE_SCHEMA = objectSchema('erp.prices', {
  sku: skuSchema,
  price_paise: paise,
  mrp_paise: paise,
  reason: { type: 'string', enum: ['markdown', 'promotion', 'promotion_end', 'mrp_revision'] },
  effective_from: { type: 'string', pattern: ISO_WITH_OFFSET },
});

export const CUSTOMER_SCHEMA = objectSchema('crm.customers', {
  store_id: storeIdSchema,
  customer_id: { type: 'string', pattern: '^C[0-9]{8,}$' },
  action: { type: 'string', enum: ['signup', 'points_earned', 'points_redeemed', 'tier_change'] },
  tier: { type: 'string', enum: ['silver', 'gold', 'platinum'] },
  points_delta: { type: 'integer' },
  points_balance: { type: 'integer', minimum: 0 },
  marketing_consent: { type: 'boolean' },
});

/** Every retail topic with its schema and key, in the order the simulator first emits them. */
export const TOPICS: readonly TopicDefinition[] = [
  { topic: 'erp.stores', schema: STORE_SCHEMA, keyField: 'store_id', master: true },
  { topic: 'erp.products', schema: PRODUCT_SCHEMA, keyField: 'sku', master: true },
  {
    topic: 'pos.transactions',
    schema: POS_TRANSACTION_SCHEMA,
    keyField: 'store_id',
    master: false,
  },
  {
    topic: 'inventory.counts',
    schema: INVENTORY_COUNT_SCHEMA,
    keyField: 'store_id',
    master: false,
  },
  { topic: 'orders.reservations', schema: RESERVATION_SCHEMA, keyField: 'store_id', master: false },
  { topic: 'logistics.shipments', schema: SHIPMENT_SCHEMA, keyField: 'store_id', master: false },
  { topic: 'inventory.transfers', schema: TRANSFER_SCHEMA, keyField: 'store_id', master: false },
  // Price changes come from the ERP during trading, keyed like the product master.
  { topic: 'erp.prices', schema: PRICE_CHANGE_SCHEMA, keyField: 'sku', master: false },
  { topic: 'crm.customers', schema: CUSTOMER_SCHEMA, keyField: 'store_id', master: false },
];

/** The definition of a retail topic, or undefined for a topic that is not one. */
export function topicDefinition(topic: string): TopicDefinition | undefined {
  return TOPICS.find((t) => t.topic === topic);
}
