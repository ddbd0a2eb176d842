export { ConfigSchema, ENV_SETTINGS, type ConfigInput, type Settings } from './schema.js';
export { loadConfig, type Config, type LoadConfigOptions } from './load.js';
