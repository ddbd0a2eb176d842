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
      formatters: {
        log(object) {
          const err = object['err'];
          if (err instanceof Error) {
            object['err'] = { type: err.name, message: redactSecrets(err.message, { knownSecrets }), stack: err.stack, code: (err as { code?: unknown }).code };
          }
          return object;
        },
      },
    },
    options.destination,
  );
}
