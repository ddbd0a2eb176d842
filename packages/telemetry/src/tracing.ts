import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';

export interface Tracing {
  enabled: boolean;
  shutdown(): Promise<void>;
}

let started: Tracing | undefined;

/**
 * Starts the OpenTelemetry SDK only when an OTLP endpoint is configured; otherwise
 * spans are no-ops and trace ids still flow through messages for log correlation.
 */
export async function startTracing(serviceName: string, otlpEndpoint: string | undefined): Promise<Tracing> {
  if (started) return started;
  if (otlpEndpoint === undefined) {
    started = { enabled: false, shutdown: async () => {} };
    return started;
  }
  const [{ NodeSDK }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    traceExporter: new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
    instrumentations: [],
  });
  sdk.start();
  started = { enabled: true, shutdown: () => sdk.shutdown() };
  return started;
}

/** A fresh W3C traceparent, for tasks that arrive without one. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}

const tracer = () => trace.getTracer('patchbay');

/** Ends the span with the outcome of `fn`, recording a thrown error. */
async function settle<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    const result = await fn();
    span.setStatus({ code: SpanStatusCode.OK });
    return result;
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Runs `fn` in a span whose parent is the incoming message's trace context, handing it
 * the traceparent to put on every message it sends, so one task is one trace.
 */
export async function withMessageSpan<T>(
  name: string,
  parent: string | undefined,
  attributes: Attributes,
  fn: (traceparent: string) => Promise<T>,
): Promise<T> {
  const carrier: Record<string, string> = parent ? { traceparent: parent } : {};
  const parentContext = propagation.extract(ROOT_CONTEXT, carrier);
  return tracer().startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, parentContext, async (span) => {
    const out: Record<string, string> = {};
    propagation.inject(context.active(), out);
    const traceparent = out['traceparent'] ?? parent ?? newTraceparent();
    return settle(span, () => fn(traceparent));
  });
}

/**
 * A child span of the current one, for a step inside a handler (a model call, a test run);
 * `fn` may add attributes it learns on the way (tokens used, say).
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (setAttributes: (more: Attributes) => void) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, (span) => settle(span, () => fn((more) => void span.setAttributes(more))));
}
