export { defaultConfig, validateConfig, ConfigError, DEFAULT_PROJECT_DIR } from './config.js';
export type { FreshetConfig } from './config.js';
