import { createHash } from 'node:crypto';
import { type BoardEntry, boardDedupKey } from '@patchbay/contracts';
import type { Analysis } from './analysis.js';
import type { BoardFacts } from './assemble.js';
import { LAYERS } from './architecture.js';
import { isCode, isNoise } from './languages.js';
import { byText } from './text-order.js';

/** The board types the context engine reads and writes. */
export const FACT_TYPES = ['tech_stack', 'architecture', 'test_command', 'code_convention', 'utility', 'integration_point', 'similar_impl'] as const;

type Source = { path: string; blob: string };

const digest = (text: string) => createHash('sha1').update(text).digest('hex');
const LOCKFILES = new Set(['pnpm-lock', 'yarn-lock', 'npm-lock']);

/**
 * Digests standing for what a fact was derived from when that is not one file: ':languages'
 * (which languages the files are in), ':dirs' (the directory layout), ':conventions' (the
 * conventions measured over all the code). They change only when the derived fact would.
 */
export function pseudoSources(analysis: Analysis): Map<string, string> {
  const dirs = new Set<string>();
  for (const f of analysis.files) if (!isNoise(f.path) && isCode(f.language) && f.path.includes('/')) dirs.add(f.path.slice(0, f.path.lastIndexOf('/')));
  const c = analysis.conventions;
  return new Map([
    [':languages', digest(analysis.languages.map((l) => l.name).sort().join('\n'))],
    [':dirs', digest([...dirs].sort().join('\n'))],
    [':conventions', digest([c.naming, c.imports, c.formatting, c.files].join('\n'))],
  ]);
}

// Analyses are not changed once made, and a worker serves many tasks from the same one:
// what depends on the analysis alone is worked out once (19,000 files take tens of ms).
const lookups = new WeakMap<Analysis, (path: string) => string | undefined>();
const findingsOf = new WeakMap<Analysis, Array<Omit<BoardEntry, 'ts' | 'agent'>>>();

/** The current blob of a path (or digest of a pseudo-source), to check board entries against. */
export function blobLookup(analysis: Analysis): (path: string) => string | undefined {
  let lookup = lookups.get(analysis);
  if (!lookup) {
    const blobs = new Map(analysis.files.map((f) => [f.path, f.blob]));
    for (const [k, v] of pseudoSources(analysis)) blobs.set(k, v);
    lookup = (path) => blobs.get(path);
    lookups.set(analysis, lookup);
  }
  return lookup;
}

const LAYER_SUFFIX = /[._-]?(routes?|router|controller|handler|service|repository|repo|dao|transformer|mapper|serializer|model|schema|entity)s?$/i;

/** The facts of an analysis as board entries, each with the sources (path and blob) it came from. */
export function factEntries(analysis: Analysis, agent: string, ts: string): BoardEntry[] {
  let found = findingsOf.get(analysis);
  if (!found) {
    found = findings(analysis);
    findingsOf.set(analysis, found);
  }
  return found.map((f) => ({ ts, agent, ...f }));
}

function findings(analysis: Analysis): Array<Omit<BoardEntry, 'ts' | 'agent'>> {
  const lookup = blobLookup(analysis);
  const sources = (paths: Iterable<string>): Source[] =>
    [...new Set(paths)].flatMap((path) => {
      const blob = lookup(path);
      return blob === undefined ? [] : [{ path, blob }];
    });
  const base = { repo: analysis.repo, commit: analysis.commit };
  const entry = (type: BoardEntry['type'], data: Record<string, unknown>, from: Source[]): Omit<BoardEntry, 'ts' | 'agent'> => ({
    ...base,
    type,
    data,
    files: from.filter((s) => !s.path.startsWith(':')).map((s) => s.path),
    sources: from,
  });
  const { facts, architecture, conventions } = analysis;
  const out: Array<Omit<BoardEntry, 'ts' | 'agent'>> = [];
  const manifests = facts.manifests.filter((m) => !LOCKFILES.has(m.kind)).map((m) => m.path);
  out.push(
    entry(
      'tech_stack',
      { languages: analysis.languages.map((l) => l.name), frameworks: facts.frameworks, manifests: facts.manifests.map((m) => m.path) },
      sources([...manifests, ':languages']),
    ),
  );
  if (facts.testCommand !== undefined) {
    out.push(
      entry('test_command', { unit: facts.testCommand, ...(facts.testFramework ? { framework: facts.testFramework } : {}), dirs: analysis.testDirs }, sources(facts.sources)),
    );
  }
  out.push(
    entry(
      'architecture',
      {
        pattern: architecture.patterns.join(', ') || 'flat',
        layers: architecture.layers,
        workspaces: architecture.workspaces,
        testLayout: architecture.testLayout,
        entryPoints: architecture.entryPoints,
      },
      sources([...analysis.architectureSources, ':dirs']),
    ),
  );
  out.push(
    entry(
      'code_convention',
      { naming: conventions.naming, imports: conventions.imports, formatting: conventions.formatting, files: conventions.files, measured: conventions.measured },
      sources([...analysis.tooling.flatMap((t) => (t.config ? [t.config] : [])), ':conventions']),
    ),
  );

  for (const u of analysis.utilities) out.push(entry('utility', { name: u.name, file: u.file, usage: u.usage, usedBy: u.usedBy }, sources([u.file])));

  // Integration points: entry points, then the most central code by plain PageRank.
  const usersOf = new Map<number, number>();
  for (let i = 0; i < analysis.links.length; i += 2) usersOf.set(analysis.links[i + 1] as number, (usersOf.get(analysis.links[i + 1] as number) ?? 0) + 1);
  const points = new Map<string, string>();
  for (const p of architecture.entryPoints.slice(0, 3)) points.set(p, 'entry point');
  for (const c of analysis.central.slice(0, 5)) {
    const path = analysis.files[c.index]?.path ?? '';
    if (!points.has(path)) points.set(path, `central module: defines ${c.defines.join(', ')}; used by ${usersOf.get(c.index) ?? 0} files`);
  }
  for (const [file, description] of points) out.push(entry('integration_point', { file, description }, sources([file])));

  // Similar implementations: one feature laid out across layers (routes/users, services/users, …).
  const features = new Map<string, Map<string, string>>();
  for (const f of analysis.files) {
    if (f.test || !isCode(f.language) || isNoise(f.path)) continue;
    const parts = f.path.split('/');
    const layer = LAYERS.find(([, names]) => parts.slice(0, -1).some((p) => names.includes(p.toLowerCase())))?.[0];
    if (!layer) continue;
    const feature = (parts.at(-1) ?? '').replace(/\.[^.]+$/, '').replace(LAYER_SUFFIX, '').toLowerCase().replace(/s$/, '');
    if (feature.length < 3 || /^(index|init|__init__|base|main)$/.test(feature)) continue;
    const layers = features.get(feature) ?? new Map<string, string>();
    if (!layers.has(layer)) layers.set(layer, f.path);
    features.set(feature, layers);
  }
  const similar = [...features.entries()]
    .filter(([, layers]) => layers.size >= 2)
    .sort((a, b) => b[1].size - a[1].size || byText(a[0], b[0]))
    .slice(0, 10);
  for (const [feature, layers] of similar) {
    out.push(entry('similar_impl', { feature, files: [...layers.values()], layers: [...layers.keys()] }, sources(layers.values())));
  }
  return out;
}

/** Identity of a finding on the board, without its version. */
export const factKey = (e: Pick<BoardEntry, 'type' | 'data'>) => `${e.type}\u0000${boardDedupKey(e.type, e.data) ?? ''}`;

/**
 * What the engine takes from the board (entries that still hold, as `current` returns
 * them) and which of its own findings are then not written again.
 */
export function fromBoard(current: readonly BoardEntry[], own: readonly BoardEntry[]): { facts: BoardFacts; toWrite: BoardEntry[] } {
  const held = new Map(current.map((e) => [factKey(e), e]));
  const facts: BoardFacts = { fromBoard: [] };
  const testCommand = held.get('test_command\u0000');
  if (testCommand && typeof testCommand.data['unit'] === 'string') {
    facts.testCommand = testCommand.data['unit'];
    if (typeof testCommand.data['framework'] === 'string') facts.testFramework = testCommand.data['framework'];
  }
  const tech = held.get('tech_stack\u0000');
  if (tech && Array.isArray(tech.data['frameworks'])) facts.frameworks = tech.data['frameworks'].filter((x): x is string => typeof x === 'string');
  const types = new Set(current.map((e) => e.type));
  facts.fromBoard = FACT_TYPES.filter((t) => types.has(t));
  return { facts, toWrite: own.filter((e) => !held.has(factKey(e))) };
}
