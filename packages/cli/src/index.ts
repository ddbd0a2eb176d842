export { main, type Environment } from './program.js';
export { ALL_SERVICES, serviceByName } from './services.js';
export { describeEvent } from './progress.js';
