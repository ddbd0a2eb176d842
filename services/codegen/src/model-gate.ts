import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
} from 'cockatiel';
import { CancelledError, CircuitOpenError, PatchbayError, isPatchbayError } from '@patchbay/errors';
import type { Logger } from '@patchbay/telemetry';
import { CALL_REASONS, type CallReason, type RetryPolicy, callReasonOf, retryDelayMs } from './domain/retry-policy.js';
import type { CodegenMetrics } from './metrics.js';

export interface GateSettings {
  policies: Readonly<Record<CallReason, RetryPolicy>>;
  breaker: { failureThreshold: number; halfOpenAfterMs: number };
}

export type BreakerState = 'closed' | 'half_open' | 'open' | 'isolated';

/**
 * Everything between codegen and one model endpoint: the reason-specific retry policy
 * around each call and the endpoint's circuit breaker (cockatiel), with their metrics.
 * One per endpoint per process, shared by every task the process handles.
 */
export interface ModelGate {
  readonly endpoint: string;
  state(): BreakerState;
  /** Throws a wait (CIRCUIT_OPEN with retryAfterMs) while the circuit is open: start no work. */
  assertClosed(): void;
  /**
   * Runs one model call with retries. A transient failure that outlives its policy comes
   * out as final (retryable false): the bus must not repeat what the policy gave up on.
   */
  call<T>(fn: (signal: AbortSignal) => Promise<T>, options: { signal: AbortSignal; log: Logger }): Promise<T>;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'isolated',
};
const GAUGE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2, isolated: 3 };

/** Failures that say the endpoint is unwell (not a bad request, not a cancel). */
const endpointFailure = (err: Error) => isPatchbayError(err) && err.transient && callReasonOf(err.code) !== undefined;

export function createModelGate(endpoint: string, settings: GateSettings, metrics: CodegenMetrics, log: Logger): ModelGate {
  const { halfOpenAfterMs, failureThreshold } = settings.breaker;
  const breaker = circuitBreaker(handleWhen(endpointFailure), {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(failureThreshold),
  });
  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
  });
  metrics.breakerState.set({ endpoint }, 0);
  breaker.onStateChange((state) => {
    const name = STATE_NAMES[state];
    metrics.breakerState.set({ endpoint }, GAUGE[name]);
    metrics.breakerTransitions.inc({ endpoint, to: name });
    const level = name === 'open' ? 'warn' : 'info';
    log[level]({ endpoint, breaker: name }, `model endpoint circuit ${name.replace('_', '-')}`);
  });

  const remainingMs = () => Math.max(0, halfOpenAfterMs - (Date.now() - openedAt));
  const waitError = (cause?: unknown) => {
    // Spread the waiting messages a little so they do not all probe at once.
    const retryAfterMs = remainingMs() + Math.round(Math.random() * Math.min(1_000, halfOpenAfterMs / 10)) + 10;
    return new CircuitOpenError(
      `model endpoint ${endpoint} failed ${failureThreshold} times in a row; its circuit is open, so the work waits ${retryAfterMs} ms on the bus`,
      { retryAfterMs, ...(cause ? { cause } : {}) },
    );
  };
  // Each reason has its own cap (checked per failure); together they bound the whole call.
  const maxRetries = CALL_REASONS.reduce((sum, r) => sum + settings.policies[r].maxAttempts - 1, 0);

  return {
    endpoint,
    state: () => STATE_NAMES[breaker.state],
    assertClosed() {
      if (breaker.state === CircuitState.Isolated || (breaker.state === CircuitState.Open && remainingMs() > 0)) throw waitError();
    },
    async call(fn, { signal, log: callLog }) {
      // Failures so far in this call, per reason: each reason has its own cap and backoff.
      const failures = new Map<CallReason, number>();
      const reasonOf = (err: unknown) => (isPatchbayError(err) && err.transient ? callReasonOf(err.code) : undefined);
      const policy = retry(
        handleWhen((err) => {
          const reason = reasonOf(err);
          if (reason === undefined) return false;
          const n = (failures.get(reason) ?? 0) + 1;
          failures.set(reason, n);
          return n < settings.policies[reason].maxAttempts;
        }),
        {
          maxAttempts: maxRetries,
          backoff: new DelegateBackoff((context) => {
            const err = 'error' in context.result ? context.result.error : undefined;
            const reason = reasonOf(err) ?? 'API_ERROR';
            const after = isPatchbayError(err) ? err.retryAfterMs : undefined;
            return retryDelayMs(settings.policies[reason], failures.get(reason) ?? 1, after);
          }),
        },
      );
      policy.onRetry((event) => {
        const err = 'error' in event ? event.error : undefined;
        const reason = reasonOf(err);
        if (reason === undefined) return;
        metrics.retries.inc({ endpoint, reason });
        callLog.warn({ reason, code: (err as PatchbayError).code, delayMs: Math.round(event.delay), retry: event.attempt }, `model call failed (${reason}); repeating`);
      });
      const outcome = (result: 'succeeded' | 'gave_up') => {
        for (const [reason, n] of failures) if (n > 0) metrics.retryOutcomes.inc({ endpoint, reason, outcome: result });
      };
      try {
        const result = await wrap(policy, breaker).execute((context) => fn(context.signal), signal);
        outcome('succeeded');
        return result;
      } catch (err) {
        if (signal.aborted) {
          throw isPatchbayError(err) && err.code === 'CANCELLED' ? err : new CancelledError('the model call was cancelled', { cause: err });
        }
        if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) throw waitError(err);
        outcome('gave_up');
        if (isPatchbayError(err) && err.transient) {
          const calls = [...failures.values()].reduce((a, b) => a + b, 0);
          throw new PatchbayError(err.code, `${err.message} (gave up after ${calls} failed call${calls === 1 ? '' : 's'})`, { cause: err, retryable: false });
        }
        throw err;
      }
    },
  };
}
