import { isSecretFile } from '@patchbay/secrets';
import type { Analysis } from './analysis.js';
import { isCode, isNoise, isTestFile } from './languages.js';
import { mentionedTerms } from './relevance.js';
import { byText } from './text-order.js';

export interface RankedFile {
  index: number;
  path: string;
  /** Personalised PageRank, scaled so the best file is 1. */
  score: number;
  /** 0 named by the task, 1 uses a named file, 2 used by a named file, 3 the rest. */
  tier: 0 | 1 | 2 | 3;
  reason: string;
}

export interface Ranking {
  files: RankedFile[];
  /** Repository files the task names. */
  named: string[];
  /** Symbols defined in the repository that the task names. */
  identifiers: string[];
}

const DAMPING = 0.85;
/** The share of PageRank's restarts that goes to what the task names; the rest, to any code file, only orders what the seeds do not reach. */
const SEED_SHARE = 0.95;
const ITERATIONS = 50;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]{2,}/g;
const STOP = new Set(['the', 'and', 'for', 'with', 'this', 'that', 'from', 'into', 'when', 'should', 'must', 'test', 'tests', 'fix', 'add', 'make', 'new', 'use', 'not', 'all', 'are', 'its']);

/**
 * The graph PageRank walks, worked out once per analysis: every file's incoming edges side by
 * side (compressed rows by target), each with its source and its share of the source's
 * out-weight times the damping, so an iteration reads them in order and writes each file once.
 */
interface Graph {
  /** Incoming edges of file t are start[t] .. start[t + 1] - 1. */
  start: Int32Array;
  source: Int32Array;
  weight: Float64Array;
  /** Files with no outgoing edge: their rank goes back to the personalisation. */
  dangling: Int32Array;
}

const graphs = new WeakMap<ArrayLike<number>, Graph>();

/** Forward edges plus reverse ones at half weight: rank flows to what a file uses and, more weakly, to what uses it. */
function graphOf(n: number, edges: ArrayLike<number>): Graph {
  const known = graphs.get(edges);
  if (known) return known;
  const out = new Float64Array(n);
  // Incoming edges counted per file, then summed into where each file's run starts.
  const start = new Int32Array(n + 1);
  for (let i = 0; i < edges.length; i += 3) {
    const from = edges[i] as number;
    const to = edges[i + 1] as number;
    const w = edges[i + 2] as number;
    out[from] = (out[from] as number) + w;
    out[to] = (out[to] as number) + w / 2;
    start[to + 1] = (start[to + 1] as number) + 1;
    start[from + 1] = (start[from + 1] as number) + 1;
  }
  for (let t = 0; t < n; t++) start[t + 1] = (start[t] as number) + (start[t + 1] as number);
  const fill = start.slice(0, n);
  const m = (edges.length / 3) * 2;
  const source = new Int32Array(m);
  const weight = new Float64Array(m);
  const put = (from: number, to: number, w: number) => {
    const at = fill[to] as number;
    fill[to] = at + 1;
    source[at] = from;
    weight[at] = (DAMPING * w) / (out[from] as number);
  };
  for (let i = 0; i < edges.length; i += 3) {
    const from = edges[i] as number;
    const to = edges[i + 1] as number;
    const w = edges[i + 2] as number;
    put(from, to, w);
    put(to, from, w / 2);
  }
  const dangling: number[] = [];
  for (let i = 0; i < n; i++) if (out[i] === 0) dangling.push(i);
  const graph = { start, source, weight, dangling: Int32Array.from(dangling) };
  graphs.set(edges, graph);
  return graph;
}

/** Personalised PageRank by power iteration; dangling mass goes back to the personalisation. */
export function pageRank(n: number, edges: ArrayLike<number>, personal: Float64Array): Float64Array {
  const { start, source, weight, dangling: danglingFiles } = graphOf(n, edges);
  let rank = Float64Array.from(personal);
  let next = new Float64Array(n);
  for (let iter = 0; iter < ITERATIONS; iter++) {
    let dangling = 0;
    for (const i of danglingFiles) dangling += rank[i] as number;
    const back = DAMPING * dangling + (1 - DAMPING);
    let delta = 0;
    for (let t = 0; t < n; t++) {
      let sum = 0;
      for (let e = start[t] as number, end = start[t + 1] as number; e < end; e++) sum += (rank[source[e] as number] as number) * (weight[e] as number);
      const v = sum + back * (personal[t] as number);
      delta += Math.abs(v - (rank[t] as number));
      next[t] = v;
    }
    [rank, next] = [next, rank];
    if (delta < 1e-9) break;
  }
  return rank;
}

/** What task words are matched against, per file of an analysis: worked out once, asked by every request. */
interface FileNames {
  /** Lower-case paths; undefined for dependencies and build output, which no task names. */
  lower: Array<string | undefined>;
  /** Lower-case file name → files carrying it. */
  byBase: Map<string, number[]>;
  /** Stem (file name without extensions and test or declaration affixes: `x` of x.e2e.test.ts and x.d.ts; 4+ characters, not index/main/…) → files. */
  byStem: Map<string, number[]>;
  /** A part (4+ characters) of a compound stem (`openai` of openai-provider.ts) → files. */
  byPart: Map<string, number[]>;
  /** Files never ranked: dependencies, build output, secrets. */
  hidden: Uint8Array;
}

const fileNames = new WeakMap<readonly unknown[], FileNames>();

/** What a ranking never shows: dependencies, build output, secrets. */
const neverRanked = (path: string) => isNoise(path) || isSecretFile(path);

function fileNamesOf(files: Analysis['files']): FileNames {
  const known = fileNames.get(files);
  if (known) return known;
  const out: FileNames = { lower: [], byBase: new Map(), byStem: new Map(), byPart: new Map(), hidden: new Uint8Array(files.length) };
  const add = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  files.forEach((f, i) => {
    if (neverRanked(f.path)) out.hidden[i] = 1;
    if (isNoise(f.path)) {
      out.lower.push(undefined);
      return;
    }
    const lower = f.path.toLowerCase();
    const base = lower.slice(lower.lastIndexOf('/') + 1);
    const stem = base.replace(/(\.(e2e|int|integration|unit))?(\.(test|spec))?(\.d)?\.[a-z0-9]+$/, '').replace(/^test_|_test$/, '');
    out.lower.push(lower);
    add(out.byBase, base, i);
    if (stem.length >= 4 && !/^(index|main|init|utils?|types?)$/.test(stem)) add(out.byStem, stem, i);
    const parts = stem.split(/[-_.]+/);
    if (parts.length > 1) for (const part of new Set(parts)) if (part.length >= 4) add(out.byPart, part, i);
  });
  fileNames.set(files, out);
  return out;
}

/** Files a plain word of the task points at: it says less than a path, a file name or a code-shaped name. */
export interface Hint {
  /** Why, as in `defines stream`, `in services/codegen`, `its name has "openai"`. */
  what: string;
  files: number[];
  /** The symbol, when the word names one. */
  symbol?: string;
}

/**
 * What a task's text names in the repository: files (by path, file name or stem), symbols (by
 * code-shaped words), and hints (plain words naming an exported symbol, a workspace package, or
 * part of a file name).
 */
export function namedInTask(analysis: Analysis, taskText: string): { files: number[]; identifiers: string[]; hints: Hint[] } {
  const terms = mentionedTerms(taskText);
  const lowerTerms = new Set(terms);
  const pathLike = (taskText.match(/[\w.-]+(?:\/[\w.-]+)+/g) ?? []).map((p) => p.replace(/^\.\//, '').replace(/[.,:;]+$/, '').toLowerCase());
  const files: number[] = [];
  const names = fileNamesOf(analysis.files);
  // A file a path names counts through it alone; a file whose name is a task word, through that.
  const viaPath = new Set<string>();
  const claimed = new Set<number>();
  if (pathLike.length) {
    names.lower.forEach((lower, i) => {
      if (lower === undefined || !pathLike.some((p) => lower === p || lower.endsWith(`/${p}`))) return;
      files.push(i);
      claimed.add(i);
      viaPath.add(lower.slice(lower.lastIndexOf('/') + 1));
    });
  }
  // A file name names files only when it is not ambiguous, and not when a path already said which one.
  for (const base of lowerTerms) {
    const hits = (names.byBase.get(base) ?? []).filter((i) => !claimed.has(i));
    for (const i of hits) claimed.add(i);
    if (hits.length && !viaPath.has(base) && hits.length <= 3) files.push(...hits);
  }
  // A workspace package the task names by its directory: in one word ("the router", "codegen: …")
  // or spelt out ("the context engine"), whose words then name the package, not files.
  const spaced = ` ${taskText.toLowerCase().replace(/[^a-z0-9]+/g, ' ')} `;
  const packageWords = new Set<string>();
  const packages = analysis.architecture.workspaces.filter((dir) => {
    const name = dir.slice(dir.lastIndexOf('/') + 1).toLowerCase();
    const words = name.split(/[^a-z0-9]+/).filter(Boolean);
    if (words.length > 1 && spaced.includes(` ${words.join(' ')} `)) {
      for (const w of words) packageWords.add(w);
      return true;
    }
    return lowerTerms.has(name);
  });
  // A bare word names a file only when few files carry that stem ("median" for median.py and its test).
  for (const t of terms) {
    if (packageWords.has(t)) continue;
    const hits = names.byStem.get(t)?.filter((i) => !claimed.has(i));
    if (hits?.length && hits.length <= 3 && !files.some((i) => hits.includes(i))) files.push(...hits);
  }
  // A word matches the names equal to it ignoring case: the one defined first stands for them.
  // Code-shaped words (camelCase, snake_case, `quoted`, called()) name any symbol. A plain word
  // ("stream", "tasks") is English first: it names a symbol only when it is long, when few
  // files define it, and when it is an exported top-level name outside the tests (not a
  // property, a local helper or a test's constant that happens to share the word).
  const identifiers = new Set<string>();
  const words = new Map<string, number[]>();
  for (const m of taskText.matchAll(IDENTIFIER)) {
    const word = m[0];
    const lower = word.toLowerCase();
    if (STOP.has(lower)) continue;
    const variants = analysis.names.variants(lower).filter((v) => v.name.length >= 3);
    const first = variants[0];
    if (!first) continue;
    const after = taskText.slice((m.index ?? 0) + word.length, (m.index ?? 0) + word.length + 1);
    const before = taskText.slice(Math.max(0, (m.index ?? 0) - 1), m.index ?? 0);
    const codeShaped = /[a-z][A-Z]|_|^[A-Z][a-z]+[A-Z]/.test(word) || after === '(' || before === '`';
    if (codeShaped) {
      identifiers.add(first.name);
      continue;
    }
    const definers = variants.reduce((n, v) => n + v.files.length, 0);
    if (word.length < 5 || definers > 3) continue;
    for (const v of variants) {
      const exporters = analysis.names.exporters(v.name).filter((i) => !isTestFile(analysis.files[i]?.path ?? ''));
      if (exporters.length) {
        words.set(v.name, exporters);
        break;
      }
    }
  }
  const hints: Hint[] = [...words].filter(([name]) => !identifiers.has(name)).map(([name, ds]) => ({ what: `defines ${name}`, files: ds, symbol: name }));
  const named = new Set(files);
  for (const dir of packages) {
    const inside = analysis.files.flatMap((f, i) => (f.symbols !== undefined && f.path.startsWith(`${dir}/`) && !isTestFile(f.path) && !named.has(i) ? [i] : []));
    if (inside.length) hints.push({ what: `in ${dir}`, files: inside });
  }
  // Part of a compound file name ("openai" for openai-provider.ts), when few files carry it.
  for (const t of terms) {
    const hits = names.byPart.get(t)?.filter((i) => !named.has(i) && !claimed.has(i));
    if (hits?.length && hits.length <= 3) hints.push({ what: `its name has "${t}"`, files: hits });
  }
  return { files: [...named].sort((a, b) => a - b), identifiers: [...identifiers], hints };
}

/**
 * Personalised PageRank scaled so the best file is 1 and rounded to 4 places (files that close
 * are ordered by path). Without a seed, plain PageRank over the code. Overwrites `personal`.
 */
function scoresFor(analysis: Analysis, personal: Float64Array): (index: number) => number {
  const n = analysis.files.length;
  const total = personal.reduce((a, b) => a + b, 0);
  let code = 0;
  for (const f of analysis.files) if (f.symbols !== undefined) code += 1;
  // A share of every restart goes to any code file: files the seeds do not reach (an isolated
  // seed reaches none) still rank by how central they are, not by their names.
  const seeded = total === 0 ? 0 : SEED_SHARE;
  analysis.files.forEach((f, i) => {
    personal[i] = (seeded ? ((personal[i] ?? 0) / total) * seeded : 0) + (f.symbols !== undefined ? (1 - seeded) / (code || 1) : 0);
  });
  const rank = pageRank(n, analysis.edges, personal);
  let max = Number.MIN_VALUE;
  for (const r of rank) if (r > max) max = r;
  return (i) => Math.round(((rank[i] ?? 0) / max) * 10_000) / 10_000;
}

/**
 * The best-connected files that `keep` accepts, best first: the order a ranking for a task
 * naming nothing puts them in, without ranking every file (an analysis works these out after
 * every change).
 */
export function bestConnected(analysis: Analysis, limit: number, keep: (index: number) => boolean): number[] {
  const score = scoresFor(analysis, new Float64Array(analysis.files.length));
  const candidates: Array<{ index: number; path: string; score: number }> = [];
  analysis.files.forEach((f, i) => {
    if (keep(i)) candidates.push({ index: i, path: f.path, score: score(i) });
  });
  candidates.sort((a, b) => b.score - a.score || byText(a.path, b.path));
  const out: number[] = [];
  for (const c of candidates) {
    if (out.length === limit) break;
    if (!neverRanked(c.path)) out.push(c.index);
  }
  return out;
}

/**
 * Ranks every analysed file for a task: the files it names first, then their direct
 * dependents, then their dependencies, then the rest; within each, by personalised
 * PageRank seeded with the named files and the files defining the named symbols.
 */
export function rankFiles(analysis: Analysis, taskText: string): Ranking {
  const n = analysis.files.length;
  const named = namedInTask(analysis, taskText);
  const personal = new Float64Array(n);
  const definersOf = new Map<string, Int32Array>();
  for (const id of named.identifiers) {
    const where = analysis.names.files(id);
    if (where?.length) definersOf.set(id, where);
  }
  for (const i of named.files) personal[i] = 1;
  const tier0 = new Set(named.files);
  const seed = (ds: Int32Array | number[], weight: number, tiered: boolean) => {
    for (const i of ds) personal[i] = (personal[i] ?? 0) + weight / ds.length;
    if (tiered && ds.length <= 3) for (const i of ds) tier0.add(i);
  };
  for (const [, ds] of definersOf) seed(ds, 1, true);
  // Hints lead only when nothing more precise was named; otherwise they lean the ranking.
  const hintsLead = tier0.size === 0;
  const hinted = new Map<number, string>();
  for (const hint of named.hints) {
    seed(hint.files, hintsLead ? 1 : 0.5, hintsLead);
    for (const i of hint.files) if (!hinted.has(i)) hinted.set(i, hint.what);
  }
  const score = scoresFor(analysis, personal);

  const dependents = new Map<number, number>();
  const dependencies = new Map<number, number>();
  for (let i = 0; i < analysis.links.length; i += 2) {
    const from = analysis.links[i] as number;
    const to = analysis.links[i + 1] as number;
    if (tier0.has(to) && !tier0.has(from)) dependents.set(from, to);
    if (tier0.has(from) && !tier0.has(to)) dependencies.set(to, from);
  }
  const path = (i: number) => analysis.files[i]?.path ?? '';
  const idsIn = (i: number) => [...definersOf].flatMap(([id, ds]) => (ds.includes(i) ? [id] : []));
  const whyNamed = (i: number) => {
    const ids = idsIn(i);
    return ids.length ? `defines ${ids.slice(0, 3).join(', ')}` : (hinted.get(i) ?? '');
  };
  const hidden = fileNamesOf(analysis.files).hidden;
  const files: RankedFile[] = analysis.files.flatMap((f, i) => {
    if (hidden[i]) return [];
    let tier: RankedFile['tier'] = 3;
    let reason: string;
    if (tier0.has(i)) {
      tier = 0;
      reason = named.files.includes(i) ? 'named in the task' : `${whyNamed(i)}, named in the task`;
    } else if (dependents.has(i)) {
      tier = 1;
      reason = `uses ${path(dependents.get(i) as number)}`;
    } else if (dependencies.has(i)) {
      tier = 2;
      reason = `used by ${path(dependencies.get(i) as number)}`;
    } else if (hinted.has(i)) reason = `${hinted.get(i) as string}, a word of the task`;
    else reason = f.symbols !== undefined ? 'reference graph rank' : isCode(f.language) ? 'code' : 'other';
    return [{ index: i, path: f.path, score: score(i), tier, reason }];
  });
  files.sort((a, b) => a.tier - b.tier || b.score - a.score || byText(a.path, b.path));
  return { files, named: named.files.map(path), identifiers: [...named.identifiers, ...named.hints.flatMap((h) => (h.symbol ? [h.symbol] : []))] };
}
