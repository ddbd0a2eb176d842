import type { TaskContext } from '@patchbay/contracts';

const CONSTRAINT = /\b(must not|mustn't|should not|shouldn't|do not|don't|never|without|only|keep|avoid|no more than|at most|at least|backwards?[- ]compatib|compatible|preserve|within|unchanged|not change|limit)\b/i;
const PRIORITY: ReadonlyArray<[RegExp, string]> = [
  [/\b(urgent|asap|critical|blocker|blocking|hotfix|p0|sev ?1|high priority|immediately)\b/i, 'urgent'],
  [/\b(security|vulnerab\w*|cve|inject\w*|xss|auth\w*|secret|leak\w*)\b/i, 'security'],
  [/\b(performance|slow|faster|latency|memory|throughput|optimi[sz]e)\b/i, 'performance'],
  [/\b(regression|broke|broken|crash\w*|fails?|failing|bug|error)\b/i, 'correctness'],
  [/\b(tests?|coverage)\b/i, 'tests'],
  [/\b(docs?|documentation|readme)\b/i, 'documentation'],
];

/** Sentences and bullet points of a text, in order. */
export function sentences(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+(?=[A-Z`"'(])/)
    .map((s) => s.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').trim())
    .filter((s) => s.length >= 3);
}

/**
 * Requirements, constraints and priorities of a task, and the repository files and
 * symbols it names (matched against what the repository has, not guessed).
 */
export function taskContext(
  title: string,
  description: string | undefined,
  named: { files: readonly string[]; identifiers: readonly string[] },
): TaskContext {
  const all = sentences(`${title}\n${description ?? ''}`);
  const constraints = all.filter((s) => CONSTRAINT.test(s));
  const requirements = all.filter((s) => !CONSTRAINT.test(s));
  const text = all.join(' ');
  return {
    requirements: requirements.slice(0, 20),
    constraints: constraints.slice(0, 20),
    priorities: PRIORITY.flatMap(([re, name]) => (re.test(text) ? [name] : [])),
    files: [...named.files],
    identifiers: [...named.identifiers],
  };
}
