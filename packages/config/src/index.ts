export { ConfigSchema, ENV_SETTINGS, type Config, type ConfigInput } from './schema.js';
export { loadConfig, type LoadConfigOptions } from './load.js';
