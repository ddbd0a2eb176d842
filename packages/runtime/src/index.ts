export type { EmitOptions, Handler, HandlerContext, Handlers, RequestContext, Responder, ServiceContext, ServiceDefinition } from './service.js';
export { createDispatcher, retryDelayMs } from './dispatch.js';
export { runMain, startService, startServices, stopOnSignals, type RunningService, type StartOptions } from './run.js';
export { stageHandler } from './stage.js';
