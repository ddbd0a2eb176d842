import { pino, type DestinationStream, type Logger } from 'pino';
import { redactSecrets } from '@patchbay/secrets';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level: string;
  /** Where JSON lines go; stdout when absent. */
  destination?: DestinationStream;
  /** Exact secret values to mask in every message. */
  knownSecrets?: readonly string[];
}

/** Structured JSON logs; secret-named fields and known secret values never reach the output. */
export function createLogger(options: LoggerOptions): Logger {
  const knownSecrets = options.knownSecrets ?? [];
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          '*.password',
          '*.token',
          '*.apiKey',
          '*.secret',
          '*.authorization',
          '*.headers.authorization',
          'config.llm.apiKey',
        ],
        censor: '[REDACTED]',
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg, { knownSecrets }) : arg)) as Parameters<typeof method>,
          );
        },
      },
      serializers: {
        // Error messages and stacks quote whatever failed, secrets included.
        err(error: Error) {
          const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
          for (const key of ['message', 'stack']) {
            const value = serialized[key];
            if (typeof value === 'string') serialized[key] = redactSecrets(value, { knownSecrets });
          }
          return serialized;
        },
      },
    },
    options.destination,
  );
}
