// The retail domain's public face: stores, catalogue, event contract, simulator and oracle.
// Nothing else in src/ is imported here; higher parts of the house import from this file only.

export { Prng, WeightedSampler, pickWeighted, shuffle, zipfSampler } from './prng.js';
export { formatIst, formatUtc, parseEventTs } from './ist-time.js';
export {
  CITIES,
  FORMAT_SHARE,
  FORMAT_VOLUME,
  formatCounts,
  generateStores,
  storeId,
  type Region,
  type Store,
  type StoreFormat,
} from './stores.js';
export {
  CATEGORIES,
  CATEGORY_INFO,
  CATEGORY_THRESHOLDS,
  generateCatalog,
  isCategory,
  skuId,
  thresholdFor,
  type Category,
  type CategoryInfo,
  type GstRate,
  type Sku,
} from './catalog.js';
export type { Unit } from './catalog-items.js';
export {
  INVENTORY_COUNT_SCHEMA,
  POS_TRANSACTION_SCHEMA,
  PRODUCT_SCHEMA,
  RESERVATION_SCHEMA,
  SHIPMENT_SCHEMA,
  STORE_SCHEMA,
  TOPICS,
  topicDefinition,
  type CountLine,
  type Envelope,
  type InventoryCountEvent,
  type PosLine,
  type PosTransactionEvent,
  type ProductEvent,
  type ReservationEvent,
  type ShipmentEvent,
  type ShipmentLine,
  type ShipmentStatus,
  type StoreEvent,
  type Tender,
  type TopicDefinition,
  type TopicName,
  type TopicPayloads,
} from './events.js';
export { EVENT_MIX, Simulator, type SimEvent, type SimulatorOptions } from './simulator.js';
export {
  computeInventory,
  inventoryKey,
  type AcceptedEvent,
  type InventoryRow,
  type InventoryStatus,
} from './oracle.js';
export { computeStoreSummary, type StoreSummary } from './store-summary.js';
export {
  computeSalesByCategoryDay,
  computeSalesByStoreHour,
  istHour,
  type CategoryDaySales,
  type StoreHourSales,
} from './sales-oracle.js';
export { computeShipments, type ShipmentRow } from './shipments-oracle.js';
