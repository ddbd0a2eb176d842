/** The CLI's only writer: plain text on stdout, problems on stderr. */
export const out = (text = '') => void process.stdout.write(`${text}\n`);
export const err = (text: string) => void process.stderr.write(`${text}\n`);

/** A bad argument: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2, escalated: 3 } as const;
