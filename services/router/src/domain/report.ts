import type { Assessment } from '@patchbay/contracts';
import type { TaskState } from './task-state.js';

const seconds = (ms: number) => `${(ms / 1_000).toFixed(1)} s`;

function tests(a: Assessment | undefined): string {
  if (!a) return '—';
  if (!a.tests) return 'no test command';
  if (a.tests.timedOut) return 'timed out';
  if (a.tests.passed !== undefined || a.tests.failed !== undefined) return `${a.tests.passed ?? 0} passed, ${a.tests.failed ?? 0} failed`;
  return `exit ${String(a.tests.exitCode)}`;
}

const indent = (text: string) => text.split('\n').map((l) => `> ${l}`).join('\n');

/** The final report of a task, in Markdown: what was asked, what was tried, what landed. */
export function renderReport(state: TaskState): string {
  const finished = state.finishedAt ? Date.parse(state.finishedAt) : Date.parse(state.updatedAt);
  const duration = finished - Date.parse(state.createdAt);
  const model = state.modelInfo
    ? state.modelInfo.replay
      ? `${state.modelInfo.name} — REPLAY: recorded answers, not a live model`
      : `${state.modelInfo.name} (${state.modelInfo.provider})`
    : 'none called';
  const out: string[] = [
    `# patchbay report: ${state.title}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Task | \`${state.id}\` |`,
    `| Status | **${state.status}** |`,
  ];
  if (state.branch) out.push(`| Branch | \`${state.branch}\` at \`${state.commit?.slice(0, 12) ?? ''}\` |`);
  out.push(
    `| Repository | ${state.repo.url}${state.baseCommit ? ` @ \`${state.baseCommit.slice(0, 12)}\`` : ''} |`,
    `| Route | ${state.route.agent} (confidence ${state.route.confidence.toFixed(2)}; ${state.route.reason}) |`,
    `| Mode | ${state.mode} |`,
    `| Model | ${model} |`,
    `| Attempts | ${state.attempts.length} of ${state.maxAttempts} |`,
    `| Tokens | prompt ${state.tokens.prompt}, completion ${state.tokens.completion} |`,
    `| Duration | ${seconds(duration)} |`,
  );
  if (state.failure) out.push('', `**Failed:** ${state.failure.reason}`);
  if (state.attempts.length > 0) {
    out.push('', '## Attempts', '', '| # | score | tests | files | outcome |', '|---|---|---|---|---|');
    for (const a of state.attempts) {
      const outcome = a.error
        ? `${a.error.code}: ${a.error.message.slice(0, 80)}`
        : a.assessment?.passed
          ? 'passed'
          : a.assessment
            ? `failed${a.assessment.failingTests.length ? `: ${a.assessment.failingTests.slice(0, 3).join('; ')}` : ''}`
            : 'in progress';
      out.push(
        `| ${a.attempt} | ${a.assessment ? a.assessment.score.toFixed(2) : '—'} | ${tests(a.assessment)} | ${a.files.map((f) => f.path).join(', ') || '—'} | ${outcome.replace(/\|/g, '\\|')} |`,
      );
    }
  }
  const calls = state.attempts.filter((a) => a.tokens);
  if (calls.length) {
    // Per call and per model: what the model cost, and why each attempt was made.
    out.push('', '## Model calls', '', '| # | model | prompt tokens | completion tokens | time | why | edits asked as |', '|---|---|---|---|---|---|---|');
    const perModel = new Map<string, { calls: number; prompt: number; completion: number; ms: number }>();
    for (const a of calls) {
      const name = a.model ?? state.modelInfo?.name ?? 'unknown';
      const t = a.tokens ?? { prompt: 0, completion: 0 };
      const why = a.retryReason ?? (a.attempt === 1 ? 'first attempt' : '—');
      out.push(
        `| ${a.attempt} | ${name} | ${t.prompt} | ${t.completion} | ${a.modelMs !== undefined ? seconds(a.modelMs) : '—'} | ${why} | ${a.strategy === 'whole-file' ? 'whole files' : 'SEARCH/REPLACE'} |`,
      );
      const m = perModel.get(name) ?? { calls: 0, prompt: 0, completion: 0, ms: 0 };
      perModel.set(name, { calls: m.calls + 1, prompt: m.prompt + t.prompt, completion: m.completion + t.completion, ms: m.ms + (a.modelMs ?? 0) });
    }
    out.push('');
    for (const [name, m] of perModel) {
      out.push(`- ${name}${state.modelInfo?.replay ? ' (REPLAY)' : ''}: ${m.calls} call(s), prompt ${m.prompt}, completion ${m.completion} tokens, ${seconds(m.ms)}`);
    }
  }
  const last = state.attempts.at(-1);
  if (state.status === 'completed' && last) {
    out.push('', '## Files changed', '');
    for (const f of last.files) out.push(`- \`${f.path}\` (${f.action}, +${f.linesAdded} −${f.linesRemoved})`);
    const scores = Object.entries(last.assessment?.scores ?? {});
    if (scores.length) {
      out.push('', '## Scores', '', ...scores.map(([dim, v]) => `- ${dim}: ${(v ?? 0).toFixed(2)}`));
    }
    if (last.assessment && !last.assessment.isolated) {
      out.push('', '_Tests ran without network isolation on this machine._');
    }
  }
  const feedback = state.attempts.filter((a) => a.feedback);
  if (feedback.length) {
    out.push('', '## Feedback between attempts');
    for (const a of feedback) out.push('', `After attempt ${a.attempt}:`, '', indent(a.feedback ?? ''));
  }
  const hypotheses = state.attempts.filter((a) => a.hypothesis);
  if (hypotheses.length) {
    out.push('', '## Debugger hypotheses', '');
    for (const a of hypotheses) out.push(`- attempt ${a.attempt}: ${a.hypothesis}`);
  }
  if (state.status === 'failed') {
    const a = [...state.attempts].reverse().find((x) => x.assessment)?.assessment;
    if (a?.outputExcerpt) out.push('', '## Last test output', '', '```', a.outputExcerpt.slice(-3_000), '```');
  }
  return `${out.join('\n')}\n`;
}
