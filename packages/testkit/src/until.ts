/** Waits until `done` holds, checking every `everyMs`; fails naming `what` after `timeoutMs`. */
export async function until(done: () => boolean | Promise<boolean>, options: { what?: string; timeoutMs?: number; everyMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(options.what ? `timed out waiting until ${options.what}` : 'condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 25));
  }
}
