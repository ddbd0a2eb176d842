import Mustache from 'mustache';
import type { EditStrategy, GenerationMode, RepoContext } from '@patchbay/contracts';

export interface Templates {
  system: string;
  sections: string;
  modes: Record<GenerationMode, string>;
}

export interface PromptInput {
  mode: GenerationMode;
  title: string;
  description?: string | undefined;
  context: RepoContext;
  feedback?: string | undefined;
  standards?: string | undefined;
  lessons?: string | undefined;
  /** The debugger's hypothesis about the previous failure. */
  hypothesis?: string | undefined;
  /** whole-file: after repeated failures, ask for complete files instead of SEARCH/REPLACE. */
  strategy?: EditStrategy | undefined;
  /** Files to concentrate on (with whole-file edits: rewrite these). */
  focusFiles?: readonly string[] | undefined;
  /** Edits as JSON (structured output) instead of text blocks. */
  structured?: boolean | undefined;
}

export interface Prompt {
  system: string;
  user: string;
}

const FENCES: Readonly<Record<string, string>> = {
  TypeScript: 'ts', JavaScript: 'js', Python: 'python', Go: 'go', Rust: 'rust', Shell: 'sh', JSON: 'json', YAML: 'yaml', Markdown: 'md',
};


const MAX_TEAM_LINES = 24;

/** The team's standards as the prompt lists them: what the repository's own files say, briefly. */
function teamStandards(context: RepoContext): string | undefined {
  if (!context.team) return undefined;
  const { standards, patterns, testing } = context.team;
  const lines = [...standards, ...patterns, ...testing.map((t) => `Testing: ${t}`)].slice(0, MAX_TEAM_LINES);
  return lines.length ? lines.map((l) => `- ${l}`).join('\n') : undefined;
}

/** Fills a mode's template with the task, the repository context and the previous feedback. */
export function renderPrompt(templates: Templates, input: PromptInput): Prompt {
  const { context } = input;
  const languageOf = new Map(context.files.map((f) => [f.path, f.language]));
  const shown = new Set(context.relevant.map((r) => r.path));
  const omitted = context.files.filter((f) => !shown.has(f.path) && f.language !== undefined).map((f) => f.path);
  const view = {
    title: input.title,
    description: input.description,
    languages: context.languages.map((l) => `${l.name} (${l.files} files)`).join(', ') || 'unknown',
    frameworks: context.frameworks.join(', ') || undefined,
    testCommand: context.testCommand ?? 'none found',
    testFramework: context.testFramework,
    testDirs: context.testDirs.slice(0, 10).join(', ') || undefined,
    architecture: context.architecture?.patterns.join(', ') || undefined,
    layers: context.architecture?.layers.map((l) => `${l.layer} in ${l.dirs.join(', ')}`).join('; ') || undefined,
    conventions: context.conventions ? [context.conventions.naming, context.conventions.imports, context.conventions.formatting].join('; ') : undefined,
    tooling: context.tooling?.map((t) => `${t.tool}${t.config ? ` (${t.config})` : ''}`).join(', ') || undefined,
    standards: input.standards ?? teamStandards(context),
    repoMap: context.repoMap?.text.trimEnd() || undefined,
    leftOut: context.leftOut?.map((l) => l.what).join('; ') || undefined,
    lessons: input.lessons,
    files: context.relevant.map((r) => ({ path: r.path, content: r.content.replace(/\n$/, ''), fence: FENCES[languageOf.get(r.path) ?? ''] ?? '' })),
    omitted: omitted.length ? `${omitted.slice(0, 40).join(', ')}${omitted.length > 40 ? `, and ${omitted.length - 40} more` : ''}` : undefined,
    feedback: input.feedback,
    hypothesis: input.hypothesis,
    wholeFile: input.strategy === 'whole-file',
    focusFiles: input.focusFiles?.length ? input.focusFiles.slice(0, 20).join(', ') : undefined,
    structured: input.structured === true,
  };
  const raw = { escape: (s: string) => s };
  const user = Mustache.render(templates.modes[input.mode], view, { sections: templates.sections }, raw);
  const system = Mustache.render(templates.system, view, {}, raw);
  return { system: system.replace(/\n{3,}/g, '\n\n').trim(), user: user.replace(/\n{3,}/g, '\n\n').trim() };
}
