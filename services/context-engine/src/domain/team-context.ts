import { parse as parseYaml } from 'yaml';
import type { TeamContext, ToolInfo } from '@patchbay/contracts';
import { byText } from './text-order.js';

type Read = (path: string) => string | undefined;

/** Documents where a team writes down how it works, most specific first. */
const DOCS = /^(\.github\/|docs\/)?(CONTRIBUTING|DEVELOPERS|DEVELOPMENT|CODING_STANDARDS|CODE_STYLE|STYLEGUIDE|STYLE_GUIDE|CONVENTIONS|AGENTS|README)(\.md|\.rst|\.txt)?$/i;
/** Headings whose sections hold rules, in a README or similar. */
const RULE_HEADING = /standard|convention|style|guideline|contribut|develop|coding|test|lint|format|pattern|architecture|rules?\b|review|quality/i;
const WHOLE_DOC = /CONTRIBUTING|DEVELOPERS|DEVELOPMENT|CODING_STANDARDS|CODE_STYLE|STYLE|CONVENTIONS|AGENTS/i;
const MAX_ITEMS = 20;
const MAX_ITEM = 240;

export const TEAM_CONFIG = '.patchbay.yaml';

export function isTeamDoc(path: string): boolean {
  return DOCS.test(path) || path === TEAM_CONFIG || path === '.patchbay.yml';
}

const clip = (s: string) => (s.length > MAX_ITEM ? `${s.slice(0, MAX_ITEM - 1)}…` : s);

/** Bullet points of a markdown document, under rule-like headings (or all of it for a contributing guide). */
export function ruleItems(text: string, whole: boolean): string[] {
  const items: string[] = [];
  let inRules = whole;
  let fence = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      inRules = whole || RULE_HEADING.test(heading[1] ?? '');
      continue;
    }
    const bullet = /^\s{0,3}(?:[-*+]|\d+[.)])\s+(.+)$/.exec(line);
    if (inRules && bullet?.[1]) {
      const item = bullet[1].replace(/\*\*([^*]+)\*\*/g, '$1').replace(/`([^`]+)`/g, '$1').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1').trim();
      if (item.length >= 8 && !/^\[[ x]\]/.test(item)) items.push(clip(item));
    }
  }
  return items;
}

const TESTING = /\b(tests?|testing|coverage|specs?|assert\w*|fixtures?|mocks?)\b/i;
const PATTERN = /prefer|pattern|architecture|layer|instead of|rather than|structure|belongs? in|goes? in|put .* in/i;

function classify(items: readonly string[], into: TeamContext): void {
  for (const item of items) {
    // The opening words say what an item is about; a passing mention of tests does not make it a testing rule.
    const head = item.slice(0, 60);
    const bucket = TESTING.test(head) ? into.testing : PATTERN.test(item) ? into.patterns : into.standards;
    if (!bucket.includes(item) && bucket.length < MAX_ITEMS) bucket.push(item);
  }
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').map(clip) : typeof v === 'string' ? [clip(v)] : []);

/**
 * Coding standards, preferred patterns and testing requirements from the repository's own
 * files: `.patchbay.yaml` (said outright), contributing and developer guides, README
 * sections about standards, and the lint and format configuration.
 */
export function teamContext(paths: readonly string[], read: Read, tooling: readonly ToolInfo[], project: readonly string[]): TeamContext {
  const team: TeamContext = { standards: [], patterns: [], testing: [], sources: [] };
  const config = paths.find((p) => p === TEAM_CONFIG || p === '.patchbay.yml');
  if (config !== undefined) {
    try {
      const y = parseYaml(read(config) ?? '') as Record<string, unknown> | null;
      team.standards.push(...list(y?.['standards']).slice(0, MAX_ITEMS));
      team.patterns.push(...list(y?.['patterns']).slice(0, MAX_ITEMS));
      team.testing.push(...list(y?.['testing']).slice(0, MAX_ITEMS));
      team.sources.push(config);
    } catch {
      team.sources.push(`${config} (not valid YAML, ignored)`);
    }
  }
  const docs = paths
    .filter((p) => DOCS.test(p))
    .sort((a, b) => Number(/README/i.test(a)) - Number(/README/i.test(b)) || a.split('/').length - b.split('/').length || byText(a, b));
  for (const doc of docs) {
    const text = read(doc);
    if (text === undefined) continue;
    const items = ruleItems(text, WHOLE_DOC.test(doc));
    if (items.length === 0) continue;
    classify(items, team);
    team.sources.push(doc);
  }
  for (const t of tooling) {
    const line = `${t.kind === 'lint' ? 'Lint with' : t.kind === 'format' ? 'Format with' : 'Type-check with'} ${t.tool}${t.config ? ` (${t.config})` : ''}${t.notes.length ? `: ${t.notes.join(', ')}` : ''}`;
    if (team.standards.length < MAX_ITEMS * 2) team.standards.push(clip(line));
    if (t.config && !team.sources.includes(t.config)) team.sources.push(t.config);
  }
  for (const line of project) if (team.standards.length < MAX_ITEMS * 2) team.standards.push(clip(line));
  return team;
}

/** What the project's manifests say about how code must be written (module system, engines). */
export function projectRules(read: Read, paths: readonly string[]): string[] {
  const rules: string[] = [];
  if (paths.includes('package.json')) {
    try {
      const pkg = JSON.parse(read('package.json') ?? '{}') as { type?: string; engines?: Record<string, string> };
      if (pkg.type === 'module') rules.push('ES modules ("type": "module" in package.json)');
      for (const [engine, range] of Object.entries(pkg.engines ?? {})) rules.push(`Runs on ${engine} ${range} (package.json engines)`);
    } catch {
      // Not JSON: nothing to say.
    }
  }
  const pyproject = paths.includes('pyproject.toml') ? read('pyproject.toml') : undefined;
  const requires = pyproject ? /requires-python\s*=\s*"([^"]+)"/.exec(pyproject)?.[1] : undefined;
  if (requires) rules.push(`Python ${requires} (pyproject.toml)`);
  const gomod = paths.includes('go.mod') ? read('go.mod') : undefined;
  const go = gomod ? /^go\s+(\S+)/m.exec(gomod)?.[1] : undefined;
  if (go) rules.push(`Go ${go} (go.mod)`);
  return rules;
}
