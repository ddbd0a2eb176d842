import type { Assessment, ErrorInfo } from '@patchbay/contracts';
import type { Observation } from '@patchbay/learning';
import { extractFailures } from '@patchbay/test-output';
import { groupFindings, signatureKeys } from './feedback.js';

/** A rule recurs across files: lessons are per rule, with where it was seen. */
export const lessonKey = (key: string) => key.replace(/^(rule:[^@]+)@.*$/, '$1');

/**
 * What a failed attempt teaches the repository's lessons: its failing tests (with what
 * they expected), the rules it broke on the lines it changed, or why its answer was refused.
 */
export function observationsOf(assessment: Assessment | undefined, error: ErrorInfo | undefined): Observation[] {
  if (error) {
    return [{ key: `error:${error.code}`, kind: 'error', text: `Answers were refused here before (${error.code}): ${error.code === 'EDIT_INVALID' ? 'copy SEARCH lines exactly from the files shown' : error.message.split('\n')[0]?.slice(0, 200) ?? ''}` }];
  }
  if (!assessment) return [];
  const out: Observation[] = [];
  const details = new Map(extractFailures(assessment.outputExcerpt).map((f) => [f.test ?? '', f]));
  for (const name of assessment.failingTests.slice(0, 5)) {
    const f = details.get(name);
    const detail = f?.expected !== undefined && f.actual !== undefined ? `expected ${f.expected} but got ${f.actual}` : f?.message ? f.message.slice(0, 120) : '';
    out.push({
      key: `test:${name}`,
      kind: 'test',
      text: `Test "${name.slice(0, 150)}" failed here before${detail ? ` (${detail})` : ''}: make sure the change handles that case`,
      ...(f?.location ? { where: `${f.location.file}:${f.location.line}` } : {}),
    });
  }
  const seen = new Set<string>();
  for (const g of groupFindings((assessment.findings ?? []).filter((x) => x.severity !== 'info'))) {
    const key = lessonKey(`rule:${g.key}`);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, kind: 'rule', text: `${g.rule}: ${g.first.message.replace(/\s+/g, ' ').slice(0, 240)}`, ...(g.file ? { where: `${g.file}${g.lines[0] ? `:${g.lines[0]}` : ''}` } : {}) });
    if (out.length >= 12) break;
  }
  return out;
}

/** The lesson keys of an attempt, from the signature the router kept of it. */
export function keysOfSignature(signature: string | undefined): string[] {
  return signature ? [...new Set([...signatureKeys(signature)].map(lessonKey))] : [];
}
