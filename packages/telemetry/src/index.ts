export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { createServiceMetrics, startMetricsServer, type MetricsServer, type ServiceMetrics } from './metrics.js';
export { newTraceparent, startTracing, traceIdOf, withMessageSpan, withSpan, type Tracing } from './tracing.js';
/** The metric types, so services add their own metrics to their registry without their own prom-client. */
export { Counter, Gauge, Histogram } from 'prom-client';
