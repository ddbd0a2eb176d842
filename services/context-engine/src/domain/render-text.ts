import type { CompleteRepoContext } from '@patchbay/contracts';

const list = (items: readonly string[], none = 'none') => (items.length ? items.join(', ') : none);
const bullets = (items: readonly string[]) => items.map((i) => `  - ${i}`);

/** The context as a person reads it: the facts, then the repo map, then what was left out. */
export function renderContextText(c: CompleteRepoContext): string {
  const lines: string[] = [];
  const section = (title: string, body: readonly string[]) => {
    if (body.length === 0) return;
    lines.push(`## ${title}`, ...body, '');
  };
  lines.push(`# Context for ${c.repo} at ${c.commit.slice(0, 12)}`, '');
  section('Codebase', [
    `Languages: ${list(c.languages.map((l) => `${l.name} (${l.files} files, ${l.lines} lines)`), 'unknown')}`,
    `Frameworks: ${list(c.frameworks)}`,
    `Manifests: ${list(c.manifests.map((m) => m.path))}`,
    `Dependencies: ${c.dependencies.length}${c.dependencies.length ? ` (${c.dependencies.slice(0, 12).map((d) => `${d.name}${d.resolved ? `@${d.resolved}` : d.version ? ` ${d.version}` : ''}`).join(', ')}${c.dependencies.length > 12 ? ', …' : ''})` : ''}`,
    `Tests: ${c.testCommand ?? 'none found'}${c.testFramework ? ` (${c.testFramework})` : ''}${c.testDirs.length ? `, in ${c.testDirs.slice(0, 6).join(', ')}${c.testDirs.length > 6 ? ', …' : ''}` : ''}`,
    `Tooling: ${list(c.tooling.map((t) => `${t.tool}${t.config ? ` (${t.config})` : ''}`))}`,
    `Architecture: ${list(c.architecture.patterns, 'flat')}; tests ${c.architecture.testLayout}${c.architecture.entryPoints.length ? `; entry points ${c.architecture.entryPoints.slice(0, 4).join(', ')}` : ''}`,
    ...c.architecture.layers.map((l) => `  ${l.layer}: ${l.dirs.join(', ')}`),
    `Conventions: ${c.conventions.naming}; ${c.conventions.imports}; ${c.conventions.formatting}; ${c.conventions.files}`,
    `Quality: ${c.quality.sourceFiles} source and ${c.quality.testFiles} test files (ratio ${c.quality.testToSourceRatio}), comment density ${c.quality.commentDensity}, largest ${list(c.quality.largestFiles.map((f) => `${f.path} (${f.lines})`))}`,
  ]);
  section('Team', [
    ...(c.team.standards.length ? ['Standards:', ...bullets(c.team.standards)] : []),
    ...(c.team.patterns.length ? ['Patterns:', ...bullets(c.team.patterns)] : []),
    ...(c.team.testing.length ? ['Testing:', ...bullets(c.team.testing)] : []),
    ...(c.team.sources.length ? [`From: ${c.team.sources.join(', ')}`] : []),
  ]);
  section('Task', [
    ...(c.task.requirements.length ? ['Requirements:', ...bullets(c.task.requirements)] : []),
    ...(c.task.constraints.length ? ['Constraints:', ...bullets(c.task.constraints)] : []),
    ...(c.task.priorities.length ? [`Priorities: ${c.task.priorities.join(', ')}`] : []),
    ...(c.task.files.length ? [`Files named: ${c.task.files.join(', ')}`] : []),
    ...(c.task.identifiers.length ? [`Symbols named: ${c.task.identifiers.join(', ')}`] : []),
  ]);
  section(`Repo map (${c.repoMap.tokens} of ${c.repoMap.budget} tokens, ${c.repoMap.files} files, ${c.repoMap.symbols} symbols)`, [c.repoMap.text.trimEnd() || '(empty)']);
  section('Relevant files', c.relevant.map((r) => `  ${r.path} — ${r.reason} (${r.content.length} chars)`));
  section('Left out', c.leftOut.map((l) => `  ${l.what}: ${l.reason}`));
  section(
    'Not analysed',
    c.unanalysed.slice(0, 30).map((u) => `  ${u.path}: ${u.reason}`).concat(c.unanalysed.length > 30 ? [`  … and ${c.unanalysed.length - 30} more`] : []),
  );
  if (c.fromBoard.length) section('From the discovery board', [`  ${c.fromBoard.join(', ')}`]);
  lines.push(`(analysis: ${c.cache.analysis}, ${c.cache.filesParsed} files parsed, ${c.cache.filesReused} reused, ${c.cache.ms} ms)`);
  return lines.join('\n');
}
