export * from './subjects.js';
export * from './common.js';
export * from './task.js';
export * from './work.js';
export * from './records.js';
export * from './context.js';
export * from './registry.js';
export * from './envelope.js';
export { publicJsonSchemas } from './json-schemas.js';
