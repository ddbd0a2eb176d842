import type { GenerationMode, RoutingDecision } from '@patchbay/contracts';
import {
  ALIASES,
  DATABASE,
  FIX_OR_BUG,
  IMPLEMENTATION,
  PHRASES,
  PLANNING,
  SECURITY_REVIEW,
  TECHNOLOGY,
} from './keywords.js';

/** Normalised words of a request: lower case, phrases joined, inflections folded. */
export function tokenize(text: string): string[] {
  let lower = ` ${text.toLowerCase()} `;
  for (const phrase of PHRASES) lower = lower.split(` ${phrase} `).join(` ${phrase.replace(/ /g, '_')} `);
  lower = lower.replace(/multi_team/g, 'multi-team');
  const raw = lower.match(/[a-z0-9][a-z0-9_./+-]*[a-z0-9+]|[a-z0-9]/g) ?? [];
  return raw.map((word) => {
    const trimmed = word.replace(/[.]+$/, '');
    return ALIASES[trimmed] ?? trimmed;
  });
}

const set = (words: readonly string[]) => new Set<string>(words);
const vocab = {
  implementation: set(IMPLEMENTATION),
  technology: set(TECHNOLOGY),
  fixOrBug: set(FIX_OR_BUG),
  database: set(DATABASE),
  planning: set(PLANNING),
  security: set(SECURITY_REVIEW),
};

/** Raw scores saturate smoothly into (0, 1): 0.4 → 0.71, 0.9 → 0.85, 1.4 → 0.90. */
export function toConfidence(raw: number): number {
  return raw <= 0 ? 0 : Math.round((raw / (raw + 0.16)) * 100) / 100;
}

export interface ScoreBreakdown {
  raw: { codegen: number; pm: number; security: number };
  matched: RoutingDecision['matched'];
}

/**
 * The seed's confidence scoring: an implementation keyword +0.4, a technology +0.3,
 * "fix"/"bug" +0.5, database keywords +0.4 (not for complex multi-agent work),
 * several development keywords +0.5. Planning and security-review words score the
 * escalation targets.
 */
export function scoreRequest(text: string): ScoreBreakdown {
  const words = new Set(tokenize(text));
  const hits = (v: Set<string>) => [...words].filter((w) => v.has(w));
  const implementation = hits(vocab.implementation);
  const technology = hits(vocab.technology);
  const fixOrBug = hits(vocab.fixOrBug);
  const database = hits(vocab.database);
  const planning = hits(vocab.planning);
  const security = hits(vocab.security);
  const development = new Set([...implementation, ...technology, ...fixOrBug, ...database]);

  let codegen = 0;
  if (implementation.length > 0) codegen += 0.4;
  if (technology.length > 0) codegen += 0.3;
  if (fixOrBug.length > 0) codegen += 0.5;
  if (database.length > 0 && planning.length === 0) codegen += 0.4;
  if (development.size >= 2) codegen += 0.5;

  return {
    raw: {
      codegen: Math.round(codegen * 100) / 100,
      pm: Math.round(planning.length * 0.5 * 100) / 100,
      security: Math.round(security.length * 0.6 * 100) / 100,
    },
    matched: { codegen: [...development].sort(), pm: planning.sort(), security: security.sort() },
  };
}

/** The generation mode a request implies, when the task does not name one. */
export function inferMode(text: string): GenerationMode {
  const words = new Set(tokenize(text));
  const any = (...w: string[]) => w.some((x) => words.has(x));
  if (any('fix', 'bug', 'debug', 'typeerror', 'error', 'exception', 'crash', 'broken', 'failing', 'regression')) return 'BUG_FIXING';
  if (any('test', 'testing', 'coverage')) return 'TESTING';
  if (any('refactor', 'clean_code', 'cleanup', 'modernize', 'simplify')) return 'REFACTORING';
  if (any('optimize')) return 'OPTIMIZATION';
  if (any('document')) return 'DOCUMENTATION';
  return 'FEATURE_DEVELOPMENT';
}

export interface RouteOptions {
  /** Below this, a request with no escalation signal is escalated to pm as unclear scope. */
  minConfidence?: number;
  /** A mode the submitter chose: an explicit request for implementation work. */
  mode?: GenerationMode;
  /** CI failures are implementation work by definition. */
  forceCodegen?: boolean;
}

/** Decides who handles a request: codegen, or an escalation to pm or security. */
export function routeRequest(text: string, options: RouteOptions = {}): RoutingDecision {
  const { raw, matched } = scoreRequest(text);
  const scores = { codegen: toConfidence(raw.codegen), pm: toConfidence(raw.pm), security: toConfidence(raw.security) };
  const mode = options.mode ?? inferMode(text);
  const decide = (agent: RoutingDecision['agent'], confidence: number, reason: string): RoutingDecision => ({
    agent,
    confidence,
    reason,
    mode,
    scores,
    matched,
  });
  const escalation = scores.security >= scores.pm ? ('security' as const) : ('pm' as const);
  const escalationScore = scores[escalation];

  if (!options.forceCodegen && escalationScore > scores.codegen) {
    const what = escalation === 'security' ? 'security review' : 'planning or architecture';
    return decide(escalation, escalationScore, `${what} request (${matched[escalation].join(', ')}) outweighs implementation signals`);
  }
  if (options.forceCodegen || options.mode !== undefined || scores.codegen >= (options.minConfidence ?? 0.5)) {
    const reason = options.forceCodegen
      ? 'CI failure: implementation work'
      : matched.codegen.length > 0
        ? `implementation request (${matched.codegen.join(', ')})`
        : `mode ${mode} requested explicitly`;
    return decide('codegen', Math.max(scores.codegen, options.forceCodegen ? 0.95 : 0), reason);
  }
  return decide('pm', Math.max(scores.pm, 1 - scores.codegen), 'no clear implementation signal: unclear scope needs clarification');
}
