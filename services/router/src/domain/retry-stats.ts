import type { TaskState } from './task-state.js';

/** What one state change means for the task-level retry statistics. */
export type RetryStat =
  | { kind: 'retry'; reason: 'VALIDATION_FAILED' | 'QUALITY_THRESHOLD' }
  | { kind: 'strategy_change'; to: 'whole-file' }
  | { kind: 'early_stop' }
  | { kind: 'outcome'; reason: 'VALIDATION_FAILED' | 'QUALITY_THRESHOLD'; outcome: 'completed' | 'failed' };

const TERMINAL = ['completed', 'failed', 'escalated'];

/** Compares the state before and after one input: new attempts and why, strategy changes, how retried tasks end. */
export function retryStats(before: TaskState, after: TaskState): RetryStat[] {
  const stats: RetryStat[] = [];
  if (after.attempt > before.attempt) {
    const record = after.attempts.find((a) => a.attempt === after.attempt);
    if (record?.retryReason) stats.push({ kind: 'retry', reason: record.retryReason });
    const switched = (s: TaskState) => s.attempts.some((a) => a.strategy === 'whole-file');
    if (switched(after) && !switched(before)) stats.push({ kind: 'strategy_change', to: 'whole-file' });
  }
  if (!TERMINAL.includes(before.status) && (after.status === 'completed' || after.status === 'failed')) {
    if (after.failure?.reason.startsWith('stopped early')) stats.push({ kind: 'early_stop' });
    const last = [...after.attempts].reverse().find((a) => a.retryReason)?.retryReason;
    if (last) stats.push({ kind: 'outcome', reason: last, outcome: after.status });
  }
  return stats;
}
