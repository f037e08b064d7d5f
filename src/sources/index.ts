export type { Source, SourceStatus } from './source.js';
export { SimulatorSource, SimulatorMismatchError, QUARANTINE_TOPIC } from './simulator-source.js';
export type { SimulatorSourceOptions } from './simulator-source.js';
export { applyFaults, hasFaults, NO_FAULTS } from './feed-faults.js';
export type { FeedFaults } from './feed-faults.js';
