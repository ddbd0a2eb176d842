import { Counter, Gauge, Histogram, type ServiceMetrics } from '@patchbay/telemetry';

/** Codegen's own metrics, on the service's registry (served at /metrics). */
export interface CodegenMetrics {
  /** Repeats of a model call inside codegen, by retry reason. */
  retries: Counter<'endpoint' | 'reason'>;
  /** How calls that needed repeats ended, per reason repeated: succeeded or gave_up. */
  retryOutcomes: Counter<'endpoint' | 'reason' | 'outcome'>;
  /** 0 closed, 1 half-open, 2 open, 3 isolated. */
  breakerState: Gauge<'endpoint'>;
  breakerTransitions: Counter<'endpoint' | 'to'>;
  tokens: Counter<'model' | 'kind'>;
  callDuration: Histogram<'model' | 'outcome'>;
  editMatches: Counter<'kind'>;
}

export function createCodegenMetrics(registry: ServiceMetrics['registry']): CodegenMetrics {
  const registers = [registry];
  return {
    retries: new Counter({ name: 'patchbay_model_retries_total', help: 'Model calls repeated inside codegen, by retry reason', labelNames: ['endpoint', 'reason'], registers }),
    retryOutcomes: new Counter({
      name: 'patchbay_model_retry_outcomes_total',
      help: 'Outcome of model calls that were repeated, per reason repeated (succeeded, gave_up)',
      labelNames: ['endpoint', 'reason', 'outcome'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'patchbay_model_breaker_state',
      help: "State of the model endpoint's circuit breaker: 0 closed, 1 half-open, 2 open, 3 isolated",
      labelNames: ['endpoint'],
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'patchbay_model_breaker_transitions_total',
      help: 'Circuit breaker state changes, by the state entered',
      labelNames: ['endpoint', 'to'],
      registers,
    }),
    tokens: new Counter({ name: 'patchbay_llm_tokens_total', help: 'Tokens used, by model and kind (prompt, completion)', labelNames: ['model', 'kind'], registers }),
    callDuration: new Histogram({
      name: 'patchbay_llm_call_duration_seconds',
      help: 'Time of one model call, by model and outcome',
      labelNames: ['model', 'outcome'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    editMatches: new Counter({
      name: 'patchbay_edit_matches_total',
      help: 'Applied edits by how they matched (exact, whitespace, fuzzy, write)',
      labelNames: ['kind'],
      registers,
    }),
  };
}
