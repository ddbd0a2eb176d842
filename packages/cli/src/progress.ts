import { type AnyCloudEvent, eventTypes } from '@patchbay/contracts';

const MARK = { started: '…', completed: '✓', failed: '✗' } as const;

/** One line per lifecycle event, as `patchbay run` shows them live; null for events not worth a line. */
export function describeEvent(event: AnyCloudEvent): string | null {
  switch (event.type) {
    case eventTypes.taskAccepted: {
      const { route, mode, maxAttempts } = event.data;
      return `✓ routed to ${route.agent} (confidence ${route.confidence.toFixed(2)}: ${route.reason}); mode ${mode}; up to ${maxAttempts} attempts`;
    }
    case eventTypes.taskStage: {
      const { stage, status, attempt, summary } = event.data;
      const label = attempt > 0 && ['codegen', 'assessment', 'feedback', 'debug', 'delivery'].includes(stage) ? `${stage} #${attempt}` : stage;
      return `  ${MARK[status]} ${label}: ${summary}`;
    }
    case eventTypes.taskProgress:
      return event.data.tokens !== undefined ? `      ${event.data.stage} #${event.data.attempt}: ${event.data.tokens} tokens so far` : null;
    case eventTypes.taskAssessed: {
      const a = event.data.assessment;
      const dims = Object.entries(a.scores)
        .map(([d, v]) => `${d} ${(v ?? 0).toFixed(2)}`)
        .join(', ');
      const charged = a.findingsTotal ?? a.findings?.length ?? 0;
      const findings = a.findings ? `; ${charged} finding${charged === 1 ? '' : 's'} on changed lines${a.preexisting?.count ? `, ${a.preexisting.count} pre-existing not charged` : ''}` : '';
      const gates = a.reasons?.length && !a.passed ? `\n      why: ${a.reasons.join('; ')}` : '';
      return `      scores: ${dims}${a.failingTests.length ? `; failing: ${a.failingTests.slice(0, 3).join('; ')}` : ''}${findings}${gates}`;
    }
    case eventTypes.taskReopened:
      return `↺ re-opened by review${event.data.author ? ` from ${event.data.author}` : ''}: attempt ${event.data.attempt} builds on ${event.data.fromCommit.slice(0, 12)} (${event.data.branch})`;
    case eventTypes.taskEscalated:
      return `↗ escalated to ${event.data.to} (confidence ${event.data.confidence.toFixed(2)}): ${event.data.reason}`;
    case eventTypes.taskCompleted:
      return `✓ completed in ${event.data.attempts} attempt(s): branch ${event.data.branch} (${event.data.commit.slice(0, 12)})`;
    case eventTypes.taskFailed:
      return `✗ failed after ${event.data.attempts} attempt(s): ${event.data.reason}`;
    default:
      return null;
  }
}
