import type { AnalysisType, Finding, QualityDimension, Severity } from '@patchbay/contracts';

/** A finding as an analyser reports it, before it is classified and placed against the diff. */
export interface RawFinding {
  tool: string;
  rule: string;
  severity: Severity;
  file: string;
  line: number;
  column?: number;
  message: string;
  dimension?: QualityDimension;
  analysis?: AnalysisType;
  category?: string;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const DIMENSION_RANK: Record<QualityDimension, number> = {
  security: 0,
  correctness: 1,
  testing: 2,
  performance: 3,
  maintainability: 4,
  readability: 5,
  documentation: 6,
};

/** Worst first: severity, then dimension (security before style), then place. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    DIMENSION_RANK[a.dimension] - DIMENSION_RANK[b.dimension] ||
    a.file.localeCompare(b.file) ||
    a.line - b.line ||
    a.rule.localeCompare(b.rule)
  );
}

/** One finding per (file, line, rule): analysers that overlap (eslint no-eval and our taint rule) are counted once per rule. */
export function dedupeFindings<T extends RawFinding>(findings: readonly T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const f of findings) {
    const key = `${f.file}\0${f.line}\0${f.tool}\0${f.rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}
