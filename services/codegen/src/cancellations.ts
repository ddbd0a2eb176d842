/**
 * The tasks this instance is generating for, so a cancel request can abort the model
 * call in flight; and the tasks cancelled lately, so a request that arrives after its
 * cancel is not started at all.
 */
export interface Cancellations {
  track(taskId: string): { signal: AbortSignal; cancelled: boolean; release(): void };
  /** Aborts the task's work here, if any; returns whether something was in flight. */
  cancel(taskId: string, reason: string): boolean;
}

const REMEMBERED = 1_000;

export function createCancellations(): Cancellations {
  const inflight = new Map<string, Set<AbortController>>();
  const cancelled = new Map<string, string>();
  return {
    track(taskId) {
      const controller = new AbortController();
      const reason = cancelled.get(taskId);
      if (reason !== undefined) controller.abort(new Error(reason));
      const set = inflight.get(taskId) ?? new Set();
      set.add(controller);
      inflight.set(taskId, set);
      return {
        signal: controller.signal,
        cancelled: reason !== undefined,
        release() {
          set.delete(controller);
          if (set.size === 0) inflight.delete(taskId);
        },
      };
    },
    cancel(taskId, reason) {
      cancelled.set(taskId, reason);
      if (cancelled.size > REMEMBERED) cancelled.delete(cancelled.keys().next().value as string);
      const set = inflight.get(taskId);
      for (const controller of set ?? []) controller.abort(new Error(reason));
      return (set?.size ?? 0) > 0;
    },
  };
}
