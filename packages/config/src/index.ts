export {
  ConfigSchema,
  DEFAULT_CONTEXT_WINDOW,
  ENV_SETTINGS,
  RETRY_REASONS,
  RETRY_STRATEGIES,
  mapTokenBudget,
  type ConfigInput,
  type RetryReason,
  type Settings,
} from './schema.js';
export { loadConfig, type Config, type LoadConfigOptions } from './load.js';
export {
  DEFAULT_QUALITY_CONFIG_DIR,
  LanguageSettings,
  QualityConfigSchema,
  languageFingerprint,
  loadQualityConfig,
  withRepositoryOverride,
  type QualityConfig,
} from './quality.js';
export { inheritedEnvironment } from './environment.js';
