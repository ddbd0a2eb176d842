/**
 * Which retry reason a failure is, and how long to wait before repeating a model call.
 * Pure: the loop itself is cockatiel's (see model-gate.ts).
 */

export type RetryStrategy = 'exponential' | 'linear' | 'fixed' | 'adaptive';

export interface RetryPolicy {
  strategy: RetryStrategy;
  baseDelayMs: number;
  maxDelayMs: number;
  /** 0..1: how much of the delay is randomised away (1: anywhere from 0 to the delay). */
  jitter: number;
  /** Calls in all, the first included. */
  maxAttempts: number;
}

/** Reasons repeated inside codegen, around one model call. */
export const CALL_REASONS = ['API_ERROR', 'RATE_LIMIT', 'NETWORK_ERROR', 'TIMEOUT'] as const;
export type CallReason = (typeof CALL_REASONS)[number];

/** The error catalogue's codes for a failed model call, as the design's retry reasons. */
const BY_CODE: Readonly<Record<string, CallReason>> = {
  MODEL_API_ERROR: 'API_ERROR',
  RATE_LIMITED: 'RATE_LIMIT',
  NETWORK_ERROR: 'NETWORK_ERROR',
  TIMEOUT: 'TIMEOUT',
};

export function callReasonOf(code: string): CallReason | undefined {
  return BY_CODE[code];
}

/**
 * The wait before retry number `retry` (1 for the first repeat). `adaptive` follows the
 * endpoint: its Retry-After when it sent one, otherwise exponential. Always within
 * [0, maxDelayMs]; jitter spreads instances that failed together.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const n = Math.max(1, retry);
  const exponential = policy.baseDelayMs * 2 ** (n - 1);
  if (policy.strategy === 'adaptive' && retryAfterMs !== undefined) {
    // Never sooner than the server asked; jitter only adds.
    return Math.min(policy.maxDelayMs, Math.round(retryAfterMs * (1 + policy.jitter * random())));
  }
  const raw =
    policy.strategy === 'linear' ? policy.baseDelayMs * n : policy.strategy === 'fixed' ? policy.baseDelayMs : exponential;
  const capped = Math.min(policy.maxDelayMs, raw);
  return Math.max(0, Math.round(capped * (1 - policy.jitter * random())));
}
