/**
 * The one error catalogue. Every error patchbay raises on purpose is a PatchbayError
 * with a stable code, whether another attempt can help (`retryable`), whether simply
 * repeating the same request can (`transient`: a network blip, a rate limit), and its cause.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: { retryable: false, transient: false, description: 'A setting is missing or has a bad value' },
  INPUT_INVALID: { retryable: false, transient: false, description: 'A message, argument or request is malformed' },
  NOT_FOUND: { retryable: false, transient: false, description: 'A task, artifact or repository does not exist' },
  FORBIDDEN: { retryable: false, transient: false, description: 'A request asks for what this instance may not do' },
  CONFLICT: { retryable: true, transient: true, description: 'Someone else changed the same record first' },
  BUS_UNAVAILABLE: { retryable: true, transient: true, description: 'The NATS server cannot be reached' },
  GIT_FAILED: { retryable: false, transient: false, description: 'A git command failed' },
  SANDBOX_FAILED: { retryable: false, transient: false, description: 'A sandboxed command could not be run' },
  TIMEOUT: { retryable: true, transient: true, description: 'An operation took longer than allowed' },
  MODEL_API_ERROR: { retryable: true, transient: true, description: 'The model endpoint answered with an error' },
  RATE_LIMITED: { retryable: true, transient: true, description: 'The model endpoint asked us to slow down' },
  NETWORK_ERROR: { retryable: true, transient: true, description: 'The connection to an endpoint failed' },
  MODEL_NOT_FOUND: { retryable: false, transient: false, description: 'The configured model is not available' },
  PROMPT_TOO_LARGE: { retryable: false, transient: false, description: "The prompt cannot fit the model's context window" },
  EDIT_INVALID: { retryable: true, transient: false, description: 'The model answer could not be turned into edits' },
  CIRCUIT_OPEN: { retryable: true, transient: true, description: "The model endpoint's circuit breaker is open: the work waits" },
  CANCELLED: { retryable: false, transient: false, description: 'The operation was cancelled' },
  INTERNAL: { retryable: false, transient: false, description: 'An unexpected failure' },
} as const satisfies Record<string, { retryable: boolean; transient: boolean; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PatchbayErrorOptions {
  cause?: unknown;
  /** Overrides the code's default. */
  retryable?: boolean;
  /** How long to wait before trying again, when the other side said so (Retry-After) or we know. */
  retryAfterMs?: number;
}

export class PatchbayError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly transient: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: PatchbayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PatchbayError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.transient = this.retryable && ERROR_CODES[code].transient;
    this.retryAfterMs = options.retryAfterMs;
  }
}

const define = (code: ErrorCode, name: string) =>
  class extends PatchbayError {
    constructor(message: string, options: PatchbayErrorOptions = {}) {
      super(code, message, options);
      this.name = name;
    }
  };

export const ConfigError = define('CONFIG_INVALID', 'ConfigError');
export const InputError = define('INPUT_INVALID', 'InputError');
export const NotFoundError = define('NOT_FOUND', 'NotFoundError');
export const ConflictError = define('CONFLICT', 'ConflictError');
export const BusUnavailableError = define('BUS_UNAVAILABLE', 'BusUnavailableError');
export const GitError = define('GIT_FAILED', 'GitError');
export const SandboxError = define('SANDBOX_FAILED', 'SandboxError');
export const TimeoutError = define('TIMEOUT', 'TimeoutError');
export const ModelApiError = define('MODEL_API_ERROR', 'ModelApiError');
export const RateLimitError = define('RATE_LIMITED', 'RateLimitError');
export const NetworkError = define('NETWORK_ERROR', 'NetworkError');
export const ModelNotFoundError = define('MODEL_NOT_FOUND', 'ModelNotFoundError');
export const PromptTooLargeError = define('PROMPT_TOO_LARGE', 'PromptTooLargeError');
export const EditError = define('EDIT_INVALID', 'EditError');
export const CancelledError = define('CANCELLED', 'CancelledError');
export const CircuitOpenError = define('CIRCUIT_OPEN', 'CircuitOpenError');

export function isPatchbayError(err: unknown): err is PatchbayError {
  return err instanceof PatchbayError;
}

/** The serialisable form carried in stage-failed messages and reports. */
export interface ErrorSummary {
  code: string;
  message: string;
  retryable: boolean;
}

export function summarizeError(err: unknown): ErrorSummary {
  if (isPatchbayError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message, retryable: false };
}

/**
 * Whether redelivering the same message may succeed where this attempt failed. Errors
 * from outside the catalogue (a NATS timeout, an I/O hiccup) get the benefit of the
 * doubt; the consumer's delivery limit bounds them.
 */
export function isTransient(err: unknown): boolean {
  return isPatchbayError(err) ? err.transient : true;
}

/**
 * Whether the failure only means "not now": the work has not started and should wait
 * `retryAfterMs` without counting as a failed delivery (an open circuit breaker).
 */
export function isWait(err: unknown): err is PatchbayError & { retryAfterMs: number } {
  return isPatchbayError(err) && err.code === 'CIRCUIT_OPEN' && err.retryAfterMs !== undefined;
}
