import { describe, expect, it } from 'vitest';
import { type RetryPolicy, callReasonOf, retryDelayMs } from '@patchbay/codegen';

const policy = (over: Partial<RetryPolicy>): RetryPolicy => ({ strategy: 'exponential', baseDelayMs: 100, maxDelayMs: 1_000, jitter: 0, maxAttempts: 5, ...over });
const delays = (p: RetryPolicy, retryAfterMs?: number) => [1, 2, 3, 4, 5].map((n) => retryDelayMs(p, n, retryAfterMs, () => 0.5));

describe('retryDelayMs', () => {
  it('grows by strategy and stops at maxDelayMs', () => {
    expect(delays(policy({ strategy: 'exponential' }))).toEqual([100, 200, 400, 800, 1_000]);
    expect(delays(policy({ strategy: 'linear' }))).toEqual([100, 200, 300, 400, 500]);
    expect(delays(policy({ strategy: 'fixed' }))).toEqual([100, 100, 100, 100, 100]);
    expect(delays(policy({ strategy: 'linear', maxDelayMs: 250 }))).toEqual([100, 200, 250, 250, 250]);
  });

  it('adaptive follows the Retry-After the endpoint sent, else grows exponentially', () => {
    expect(delays(policy({ strategy: 'adaptive' }), 700)).toEqual([700, 700, 700, 700, 700]);
    expect(delays(policy({ strategy: 'adaptive' }), 5_000)).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
    expect(delays(policy({ strategy: 'adaptive' }))).toEqual([100, 200, 400, 800, 1_000]);
    // Other strategies keep their own schedule whatever the server says.
    expect(delays(policy({ strategy: 'fixed' }), 700)).toEqual([100, 100, 100, 100, 100]);
  });

  it('jitter takes up to its share off the delay, and only adds to a Retry-After', () => {
    const p = policy({ strategy: 'fixed', jitter: 0.5 });
    expect(retryDelayMs(p, 1, undefined, () => 0)).toBe(100);
    expect(retryDelayMs(p, 1, undefined, () => 1)).toBe(50);
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(p, 1, undefined)));
    expect(spread.size).toBeGreaterThan(5);
    for (const d of spread) expect(d).toBeGreaterThanOrEqual(50);
    const adaptive = policy({ strategy: 'adaptive', jitter: 0.5, maxDelayMs: 10_000 });
    expect(retryDelayMs(adaptive, 1, 1_000, () => 1)).toBe(1_500);
    expect(retryDelayMs(adaptive, 1, 1_000, () => 0)).toBe(1_000);
  });
});

describe('callReasonOf', () => {
  it("maps the catalogue's codes to the design's retry reasons", () => {
    expect(['MODEL_API_ERROR', 'RATE_LIMITED', 'NETWORK_ERROR', 'TIMEOUT', 'EDIT_INVALID', 'CANCELLED'].map(callReasonOf)).toEqual([
      'API_ERROR',
      'RATE_LIMIT',
      'NETWORK_ERROR',
      'TIMEOUT',
      undefined,
      undefined,
    ]);
  });
});
