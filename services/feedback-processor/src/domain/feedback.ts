import { createHash } from 'node:crypto';
import type { Assessment, ErrorInfo, FeedbackItem, Finding } from '@patchbay/contracts';
import { type FailureDetail, extractFailures } from '@patchbay/test-output';

export interface FeedbackInput {
  attempt: number;
  assessment?: Assessment | undefined;
  error?: ErrorInfo | undefined;
  /** Feedback given to earlier attempts, oldest first, with what failed then. */
  previous: ReadonlyArray<{ attempt: number; signature: string }>;
  /** A person's review of the delivered result (USER feedback). */
  review?: { text: string; author?: string | undefined } | undefined;
  /** Size of the text, in tokens (about 4 characters each). */
  tokenBudget?: number;
  /** Findings shown, at most. */
  maxItems?: number;
}

export interface Feedback {
  text: string;
  items: FeedbackItem[];
  repeated: boolean;
  signature: string;
  /** What failed, one key each (tests, rules at files, errors), for the lessons. */
  keys: string[];
}

const MAX_CHARS = 3_000;
const SIGNATURE_CHARS = 2_000;

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Findings that block or cost the attempt, grouped by rule and file. */
export interface FindingGroup {
  key: string;
  rule: string;
  file: string;
  lines: number[];
  first: Finding;
  count: number;
}

const SEVERITY_WEIGHT = { error: 3, warning: 2, info: 1 } as const;
const DIMENSION_WEIGHT: Record<Finding['dimension'], number> = {
  security: 3,
  correctness: 3,
  testing: 2,
  performance: 2,
  maintainability: 1.5,
  readability: 1,
  documentation: 0.5,
};

/** Groups charged findings by (rule, file): one line per mistake, however often it was made. */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of findings) {
    if (!f.touched) continue;
    const rule = `${f.tool}/${f.rule}`;
    const key = `${rule}@${f.file}`;
    const g = groups.get(key);
    if (g) {
      g.count += 1;
      if (f.line > 0 && !g.lines.includes(f.line)) g.lines.push(f.line);
    } else {
      groups.set(key, { key, rule, file: f.file, lines: f.line > 0 ? [f.line] : [], first: f, count: 1 });
    }
  }
  return [...groups.values()];
}

/** The rule keys an assessment charged, for the signature (warnings and errors only: info never blocks). */
function ruleKeys(assessment: Assessment): string[] {
  return [...new Set(groupFindings((assessment.findings ?? []).filter((f) => f.severity !== 'info')).map((g) => g.key))].sort();
}

function capped(prefix: string, body: string, limit: number): string {
  if (prefix.length + body.length <= limit) return `${prefix}${body}`;
  // Messages carry at most 2000 characters of signature: keep a readable start and a hash of the rest.
  return `${prefix}${body.slice(0, limit - prefix.length - 17)}#${hash(body)}`;
}

/** A stable fingerprint of what failed, to notice the same failure twice. */
export function failureSignature(assessment: Assessment | undefined, error: ErrorInfo | undefined, review?: { text: string }): string {
  if (review) return `review:${hash(review.text.trim())}`;
  if (error) return `error:${error.code}`;
  if (!assessment) return 'unknown';
  const rules = ruleKeys(assessment);
  const tail = rules.length ? `;rules:${rules.join('|')}` : '';
  if (assessment.failingTests.length) {
    const names = [...assessment.failingTests].sort().join('|');
    if (!tail) return capped('tests:', names, SIGNATURE_CHARS);
    return capped('', `tests:${names}${tail}`, SIGNATURE_CHARS);
  }
  if (rules.length && assessment.tests?.exitCode === 0) return capped('', tail.slice(1), SIGNATURE_CHARS);
  return `exit:${String(assessment.tests?.exitCode)}${tail ? capped('', tail, SIGNATURE_CHARS - 12) : ''}`;
}

/** The tests and rule keys a signature names (signatures are what the router keeps of earlier attempts). */
export function signatureKeys(signature: string): Set<string> {
  const keys = new Set<string>();
  const body = signature.replace(/#[0-9a-f]{16}$/, '');
  const tests = /(?:^|;)tests:([^;]*)/.exec(body)?.[1];
  if (tests) for (const t of tests.split('|')) keys.add(`test:${t}`);
  const rules = /(?:^|;)rules:([^;]*)/.exec(body)?.[1];
  if (rules) for (const r of rules.split('|')) keys.add(`rule:${r}`);
  const error = /^error:(\S+)/.exec(body)?.[1];
  if (error) keys.add(`error:${error}`);
  return keys;
}

function describeFailure(f: FailureDetail): string {
  const parts = [f.test ? `"${f.test}"` : 'a test'];
  if (f.expected !== undefined && f.actual !== undefined) parts.push(`expected ${f.expected} but got ${f.actual}`);
  else if (f.message) parts.push(f.message);
  if (f.location) parts.push(`(at ${f.location.file}:${f.location.line})`);
  return parts.join(': ').replace(': (at', ' (at');
}

const KIND: Record<Finding['dimension'], FeedbackItem['kind']> = {
  security: 'SECURITY',
  performance: 'PERFORMANCE',
  correctness: 'ERROR',
  testing: 'QUALITY',
  maintainability: 'QUALITY',
  readability: 'QUALITY',
  documentation: 'QUALITY',
};

function describeGroup(g: FindingGroup): string {
  const where = g.file ? `${g.file}${g.lines.length ? `:${g.lines.slice(0, 4).join(', ')}${g.lines.length > 4 ? ', …' : ''}` : ''}` : 'the change';
  const times = g.count > 1 ? ` (${g.count}×)` : '';
  return `${where}: ${g.first.message.replace(/\s+/g, ' ').slice(0, 220)} [${g.rule}]${times}`;
}

/** Worst first: severity × dimension, doubled when it repeats an earlier attempt's mistake. */
export function rankGroups(groups: readonly FindingGroup[], repeatedKeys: ReadonlySet<string>): FindingGroup[] {
  const score = (g: FindingGroup) => SEVERITY_WEIGHT[g.first.severity] * DIMENSION_WEIGHT[g.first.dimension] * (repeatedKeys.has(`rule:${g.key}`) ? 2 : 1) + Math.min(g.count, 5) / 10;
  return [...groups].sort((a, b) => score(b) - score(a) || a.key.localeCompare(b.key));
}

/**
 * Turns a failed attempt into concrete, located, short feedback for the next one: which
 * tests failed with expected and actual values, then the findings on the lines it changed,
 * grouped by rule and file and ranked (what repeats an earlier attempt first), within a
 * token budget. Never a dump of raw tool output.
 */
export function buildFeedback(input: FeedbackInput): Feedback {
  const { assessment, error, review } = input;
  const signature = failureSignature(assessment, error, review);
  const budget = Math.min(MAX_CHARS, (input.tokenBudget ?? 750) * 4);
  const maxItems = input.maxItems ?? 8;
  const earlier = input.previous.filter((p) => p.signature === signature).map((p) => p.attempt);
  const repeated = earlier.length > 0;
  const earlierKeys = new Map<string, number[]>();
  for (const p of input.previous) for (const k of signatureKeys(p.signature)) earlierKeys.set(k, [...(earlierKeys.get(k) ?? []), p.attempt]);
  const items: FeedbackItem[] = [];
  const lines: string[] = [];
  const keys: string[] = [];
  const again = (key: string) => {
    const at = earlierKeys.get(key);
    return at?.length ? ` — again, as after attempt ${at.join(' and ')}` : '';
  };

  if (review) {
    lines.push(`A reviewer${review.author ? ` (${review.author})` : ''} looked at the delivered change and asks for more:`, '');
    lines.push(...review.text.trim().split('\n').map((l) => `> ${l}`));
    lines.push('', 'Change the code as asked, on top of the delivered change; keep the tests passing and do not undo what already works.');
    items.push({ kind: 'USER', message: review.text.trim().slice(0, 2_000) });
    keys.push(signature);
  } else if (error) {
    lines.push(`Attempt ${input.attempt}'s answer could not be used (${error.code}).`);
    lines.push(error.message);
    lines.push('Reply only with SEARCH/REPLACE blocks whose SEARCH lines are copied exactly from the files shown.');
    items.push({ kind: 'VALIDATION', message: error.message });
    keys.push(`error:${error.code}`);
  } else if (assessment) {
    const t = assessment.tests;
    const counts =
      t?.passed !== undefined || t?.failed !== undefined ? `${t?.passed ?? 0} tests passed, ${t?.failed ?? 0} failed` : t?.timedOut ? 'the tests timed out' : t ? `the tests exited with code ${String(t.exitCode)}` : 'no tests ran';
    lines.push(`Attempt ${input.attempt} did not pass: ${counts}; score ${assessment.score.toFixed(2)} (needs ${assessment.threshold}).`);
    const gates = (assessment.reasons ?? []).filter((r) => !/tests? (?:failed|timed out|exited)/.test(r));
    if (gates.length) lines.push(`It also failed: ${gates.join('; ')}.`);
    const testsFailed = (t?.exitCode ?? 0) !== 0 || t?.timedOut === true || assessment.failingTests.length > 0;
    if (testsFailed) {
      const failures = extractFailures(assessment.outputExcerpt);
      const named = new Set(failures.map((f) => f.test));
      const unnamed: FailureDetail[] = assessment.failingTests.filter((x) => !named.has(x)).map((test) => ({ test, message: '' }));
      const all = [...failures, ...unnamed].slice(0, maxItems);
      if (all.length) {
        lines.push('', 'Failing:');
        for (const f of all) {
          const text = describeFailure(f);
          lines.push(`- ${text}${f.test ? again(`test:${f.test}`) : ''}`);
          items.push({ kind: 'ERROR', message: text, ...(f.location ? { location: `${f.location.file}:${f.location.line}` } : {}) });
        }
      } else if (t?.timedOut) {
        lines.push('', 'The test run was killed at its time limit: look for an infinite loop or a wait that never ends.');
        items.push({ kind: 'PERFORMANCE', message: 'test run timed out' });
      } else {
        const tail = assessment.outputExcerpt.replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n').slice(-12).join('\n');
        lines.push('', 'The end of the test output:', tail);
        items.push({ kind: 'ERROR', message: tail.slice(0, 500) });
      }
      for (const name of assessment.failingTests) keys.push(`test:${name}`);
    }
    const groups = groupFindings(assessment.findings ?? []);
    const blocking = groups.filter((g) => g.first.severity !== 'info');
    const shown = rankGroups(blocking.length ? blocking : testsFailed ? [] : groups, new Set(earlierKeys.keys())).slice(0, Math.max(0, maxItems - Math.min(items.length, 3)));
    if (shown.length) {
      lines.push('', 'On the lines you changed, most important first:');
      for (const g of shown) {
        lines.push(`- ${describeGroup(g)}${again(`rule:${g.key}`)}`);
        items.push({ kind: KIND[g.first.dimension], message: `${g.first.message.slice(0, 300)} [${g.rule}]`, ...(g.file ? { location: `${g.file}${g.lines[0] ? `:${g.lines[0]}` : ''}` } : {}) });
      }
      const rest = blocking.length - shown.length;
      if (rest > 0) lines.push(`(${rest} more finding${rest > 1 ? 's' : ''} of the same kinds)`);
    }
    for (const g of blocking) keys.push(`rule:${g.key}`);
    if (testsFailed) lines.push('', 'Fix the code under test so these pass. Do not change, skip or delete the tests.');
    else if (shown.length) lines.push('', 'Fix these where they are; keep the behaviour the tests check.');
  }
  if (repeated && !review) {
    lines.unshift(
      `This is the same failure as attempt ${earlier.join(' and ')}: that approach did not work. Find the root cause and change strategy.`,
      '',
    );
  }
  let text = '';
  for (const line of lines) {
    const next = text ? `${text}\n${line}` : line;
    if (next.length > budget - 22) {
      text = `${text}\n[feedback shortened]`;
      break;
    }
    text = next;
  }
  if (text.length > budget) text = `${text.slice(0, budget - 22)}\n[feedback shortened]`;
  return { text, items: items.slice(0, 50), repeated, signature, keys: [...new Set(keys)] };
}
