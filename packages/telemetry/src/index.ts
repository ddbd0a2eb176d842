export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { createServiceMetrics, startMetricsServer, type MetricsServer, type ServiceMetrics } from './metrics.js';
export { newTraceparent, startTracing, traceIdOf, withMessageSpan, withSpan, type Tracing } from './tracing.js';
