export { ConfigSchema, ENV_SETTINGS, mapTokenBudget, type ConfigInput, type Settings } from './schema.js';
export { loadConfig, type Config, type LoadConfigOptions } from './load.js';
