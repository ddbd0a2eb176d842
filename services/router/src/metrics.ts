import { Counter, type ServiceMetrics } from '@patchbay/telemetry';
import type { RetryStat } from './domain/retry-stats.js';

/** Task-level retry statistics, on the router's registry. */
export interface RouterMetrics {
  record(stats: readonly RetryStat[]): void;
}

export function createRouterMetrics(registry: ServiceMetrics['registry']): RouterMetrics {
  const registers = [registry];
  const retries = new Counter({ name: 'patchbay_task_retries_total', help: 'New attempts of a task, by retry reason (VALIDATION_FAILED, QUALITY_THRESHOLD)', labelNames: ['reason'], registers });
  const outcomes = new Counter({
    name: 'patchbay_task_retry_outcomes_total',
    help: 'How tasks that needed retries ended, by the reason of their last retry and the outcome',
    labelNames: ['reason', 'outcome'],
    registers,
  });
  const strategy = new Counter({ name: 'patchbay_task_strategy_changes_total', help: 'Changes of edit strategy after a repeated failure', labelNames: ['to'], registers });
  const earlyStops = new Counter({ name: 'patchbay_task_early_stops_total', help: 'Tasks stopped because attempts kept failing the same way', registers });
  return {
    record(stats) {
      for (const s of stats) {
        if (s.kind === 'retry') retries.inc({ reason: s.reason });
        else if (s.kind === 'outcome') outcomes.inc({ reason: s.reason, outcome: s.outcome });
        else if (s.kind === 'strategy_change') strategy.inc({ to: s.to });
        else earlyStops.inc();
      }
    },
  };
}
