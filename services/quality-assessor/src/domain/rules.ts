import type { AnalysisType, QualityDimension, Severity } from '@patchbay/contracts';
import type { RawFinding } from './findings.js';

/**
 * How each analyser's rules map to the seven dimensions, the four analysis types of the
 * analyze endpoint, and (for security rules precise enough to name one) a vulnerability
 * class. Rules not listed fall back to their tool's default.
 */
export interface RuleClass {
  dimension: QualityDimension;
  analysis?: AnalysisType;
  category?: string;
  /** Replaces the analyser's own severity. */
  severity?: Severity;
}

const sec = (category?: string, severity?: Severity): RuleClass => ({
  dimension: 'security',
  analysis: 'security',
  ...(category ? { category } : {}),
  ...(severity ? { severity } : {}),
});
const perf = (severity?: Severity): RuleClass => ({ dimension: 'performance', analysis: 'performance', ...(severity ? { severity } : {}) });
const compat = (severity: Severity = 'warning'): RuleClass => ({ dimension: 'correctness', analysis: 'compatibility', severity });
const is = (dimension: QualityDimension, severity?: Severity): RuleClass => ({ dimension, ...(severity ? { severity } : {}) });

const EXACT: Readonly<Record<string, RuleClass>> = {
  // ESLint core
  'eslint:no-eval': sec('code-injection', 'error'),
  'eslint:no-implied-eval': sec('code-injection', 'error'),
  'eslint:no-new-func': sec('code-injection', 'error'),
  'eslint:complexity': is('maintainability', 'warning'),
  'eslint:max-depth': is('maintainability', 'warning'),
  'eslint:max-lines-per-function': is('maintainability', 'info'),
  'eslint:max-params': is('maintainability', 'info'),
  'eslint:no-unused-vars': is('maintainability', 'warning'),
  '@typescript-eslint/no-unused-vars': is('maintainability', 'warning'),
  'eslint:no-await-in-loop': perf('warning'),
  'eslint:no-var': is('readability', 'info'),
  'eslint:prefer-const': is('readability', 'info'),
  'eslint:eqeqeq': is('correctness', 'warning'),
  'eslint:no-unreachable': is('correctness', 'warning'),
  'eslint:no-dupe-keys': is('correctness', 'error'),
  'eslint:no-self-assign': is('correctness', 'warning'),
  'eslint:no-cond-assign': is('correctness', 'warning'),
  'eslint:use-isnan': is('correctness', 'error'),
  'eslint:valid-typeof': is('correctness', 'error'),
  'eslint:no-unsafe-finally': is('correctness', 'warning'),
  'eslint:no-fallthrough': is('correctness', 'warning'),
  'eslint:no-constant-condition': is('correctness', 'info'),
  'eslint:no-useless-catch': is('readability', 'info'),
  // eslint-plugin-security: precise rules name a class; broad ones only inform.
  'eslint:security/detect-eval-with-expression': sec('code-injection', 'error'),
  'eslint:security/detect-child-process': sec(undefined, 'info'),
  'eslint:security/detect-non-literal-fs-filename': sec(undefined, 'info'),
  'eslint:security/detect-non-literal-require': sec(undefined, 'warning'),
  'eslint:security/detect-non-literal-regexp': sec('redos', 'info'),
  'eslint:security/detect-unsafe-regex': sec('redos', 'warning'),
  'eslint:security/detect-possible-timing-attacks': sec('timing', 'info'),
  'eslint:security/detect-pseudoRandomBytes': sec('weak-crypto', 'warning'),
  'eslint:security/detect-buffer-noassert': sec(undefined, 'warning'),
  'eslint:security/detect-new-buffer': sec(undefined, 'warning'),
  'eslint:security/detect-no-csrf-before-method-override': sec(undefined, 'warning'),
  'eslint:security/detect-bidi-characters': sec(undefined, 'error'),
  'eslint:security/detect-disable-mustache-escape': sec('xss', 'warning'),
  'eslint:security/detect-object-injection': sec(undefined, 'info'),
  // bandit (test ids)
  'bandit:B102': sec('code-injection', 'error'),
  'bandit:B307': sec('code-injection', 'error'),
  'bandit:B301': sec('deserialization', 'warning'),
  'bandit:B506': sec('deserialization', 'warning'),
  'bandit:B602': sec('command-injection'),
  'bandit:B604': sec('command-injection'),
  'bandit:B605': sec('command-injection'),
  'bandit:B609': sec('command-injection'),
  'bandit:B404': sec(undefined, 'info'),
  'bandit:B603': sec(undefined, 'info'),
  'bandit:B607': sec(undefined, 'info'),
  'bandit:B608': sec('sql-injection'),
  'bandit:B105': sec('hardcoded-secret'),
  'bandit:B106': sec('hardcoded-secret'),
  'bandit:B107': sec('hardcoded-secret'),
  'bandit:B303': sec('weak-hash'),
  'bandit:B324': sec('weak-hash'),
  'bandit:B501': sec('tls-disabled', 'error'),
  'bandit:B323': sec('tls-disabled', 'error'),
  'bandit:B502': sec('tls-disabled'),
  'bandit:B503': sec('tls-disabled'),
  'bandit:B504': sec('tls-disabled'),
  'bandit:B101': is('correctness', 'info'),
  'bandit:B110': is('correctness', 'warning'),
  'bandit:B112': is('correctness', 'warning'),
  // pyflakes messages, as classified by our reader
  'pyflakes:undefined-name': is('correctness', 'error'),
  'pyflakes:unused-import': is('maintainability', 'warning'),
  'pyflakes:unused-variable': is('maintainability', 'warning'),
  'pyflakes:redefinition': is('maintainability', 'warning'),
  'pyflakes:import-star': is('readability', 'warning'),
  'pyflakes:syntax': is('correctness', 'error'),
  'py_compile:syntax-error': is('correctness', 'error'),
  'tree-sitter:syntax-error': is('correctness', 'error'),
  'tests:failed': is('correctness', 'error'),
  'tests:timed-out': is('correctness', 'error'),
  'tests:no-test-command': is('testing', 'warning'),
  'tests:untested-change': is('testing', 'warning'),
  'complexity:function': is('maintainability', 'warning'),
  'complexity:length': is('maintainability', 'info'),
};

const SHELLCHECK_SECURITY = new Set(['SC2086', 'SC2046', 'SC2091', 'SC2294']);

/** The class of a finding: its rule's entry, or its tool's default. */
export function classify(f: Pick<RawFinding, 'tool' | 'rule' | 'severity'>): RuleClass {
  const exact = EXACT[`${f.tool}:${f.rule}`] ?? EXACT[f.rule];
  if (exact) return exact;
  if (f.tool === 'eslint' && f.rule.startsWith('n/')) return compat();
  if (f.tool === 'eslint' && f.rule.startsWith('security/')) return sec(undefined, 'warning');
  if (f.tool === 'bandit') return sec();
  if (f.tool === 'tsc') return is('correctness', f.severity);
  if (f.tool === 'shellcheck') {
    if (SHELLCHECK_SECURITY.has(f.rule)) return { dimension: 'security', analysis: 'security', ...(f.rule === 'SC2086' ? {} : {}) };
    if (/^SC3\d{3}$/.test(f.rule)) return compat();
    return is(f.severity === 'info' ? 'readability' : 'correctness');
  }
  if (f.tool === 'pyflakes') return is('maintainability');
  return is('maintainability');
}

/** An analysis type for a finding whose class did not name one. */
export function analysisFor(dimension: QualityDimension): AnalysisType {
  return dimension === 'security' ? 'security' : dimension === 'performance' ? 'performance' : 'quality';
}
