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
  CUSTOMER_SCHEMA,
  PRICE_CHANGE_SCHEMA,
  TRANSFER_SCHEMA,
  TOPICS,
  topicDefinition,
  type CountLine,
  type Envelope,
  type CustomerEvent,
  type InventoryCountEvent,
  type PriceChangeEvent,
  type TransferEvent,
  type TransferLine,
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
export {
  EVENT_MIX,
  istMidnight,
  Simulator,
  type SimEvent,
  type SimulatorOptions,
} from './simulator.js';
export {
  calendarRows,
  dayLift,
  EOSS,
  FESTIVALS,
  profileDate,
  PROFILES,
  SALARY_DAY_LIFT,
  type CalendarRow,
  type DayLift,
  type Festival,
  type ProfileName,
} from './calendar.js';
export { AVERAGE_BILLS_PER_DAY, HOUR_SHAPE, WEEKDAY_SHAPE } from './demand.js';
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

// Store health and the demand forecast: their oracles and the seeds the forecast reads.
export {
  CALENDAR_FROM,
  CALENDAR_TO,
  demandSeedFiles,
  type DemandSeedFiles,
} from './demand-seeds.js';
export {
  computeStoreHealth,
  type StoreHealthOptions,
  type StoreHealthRow,
} from './store-health-oracle.js';
export {
  computeDemandForecast,
  type ForecastOptions,
  type ForecastRow,
  type StockoutRisk,
} from './forecast-oracle.js';
