export { defaultConfig, validateConfig, ConfigError, DEFAULT_PROJECT_DIR } from './config.js';
export type { FreshetConfig } from './config.js';
export { loadConfigFile, DEFAULT_CONFIG_FILE } from './config-file.js';
export type { ConfigFile } from './config-file.js';
export { SOURCE_TYPES, SECRET_KEYS } from './source-config.js';
export type {
  SourceConfig,
  PostgresSourceConfig,
  MysqlSourceConfig,
  HttpPushSourceConfig,
  HttpPullSourceConfig,
  FilesSourceConfig,
  KafkaSourceConfig,
} from './source-config.js';
