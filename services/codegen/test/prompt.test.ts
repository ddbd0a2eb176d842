import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Templates, loadTemplates, renderPrompt, withRepoTemplates } from '@patchbay/codegen';
import { GENERATION_MODES, type GenerationMode, RepoContext } from '@patchbay/contracts';

/** A small repository: one source file shown, the rest only listed. */
const context: RepoContext = {
  repo: '/repos/stats',
  commit: '0123456789abcdef0123456789abcdef01234567',
  languages: [
    { name: 'JavaScript', files: 2, lines: 24 },
    { name: 'JSON', files: 1, lines: 6 },
  ],
  manifests: [{ path: 'package.json', kind: 'npm' }],
  dependencies: [{ name: 'fastify', version: '^5.0.0', manifest: 'package.json', dev: false }],
  frameworks: ['Fastify'],
  testCommand: 'npm test',
  testFramework: 'node:test',
  testDirs: ['test'],
  files: [
    { path: 'package.json', size: 120, language: 'JSON' },
    { path: 'src/stats.js', size: 98, language: 'JavaScript' },
    { path: 'test/stats.test.js', size: 210, language: 'JavaScript' },
    { path: 'LICENSE', size: 1_070 },
  ],
  filesOmitted: 0,
  relevant: [
    {
      path: 'src/stats.js',
      reason: 'named in the task',
      content: 'export function median(xs) {\n  const s = [...xs].sort((a, b) => a - b);\n  return s[Math.floor(s.length / 2)];\n}\n',
    },
  ],
  skipped: [],
  fromBoard: [],
};

const TITLE = 'Make median average the two middle values';
const DESCRIPTION = 'median([4, 1, 3, 2]) returns 3; it should return 2.5.';
const FEEDBACK = 'Attempt 1 did not pass: 1 tests passed, 1 failed.\n- "median of even length": expected 2.5 but got 3';

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

/** The body of a `## Heading` section, up to the next heading. */
function section(text: string, heading: string): string | undefined {
  const match = new RegExp(`^## ${heading}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, 'm').exec(text);
  return match?.[1];
}

describe('loadTemplates', () => {
  it('loads the system prompt, the shared sections and one template per mode', () => {
    expect(RepoContext.parse(context)).toEqual(context);
    expect(Object.keys(templates.modes).sort()).toEqual([...GENERATION_MODES].sort());
    for (const mode of GENERATION_MODES) expect(templates.modes[mode]).toContain('{{> sections}}');
    expect(templates.sections).toContain('## Answer');
    expect(templates.system.length).toBeGreaterThan(200);
  });
});

describe.each(GENERATION_MODES)('renderPrompt for %s', (mode: GenerationMode) => {
  it('matches its snapshot', async () => {
    const prompt = renderPrompt(templates, { mode, title: TITLE, description: DESCRIPTION, context, feedback: FEEDBACK });
    await expect(prompt.user).toMatchFileSnapshot(`./__snapshots__/prompt-${mode}.md`);
  });

  it('has the task, the Repository, Files and Answer sections, and the feedback', () => {
    const { user } = renderPrompt(templates, { mode, title: TITLE, description: DESCRIPTION, context, feedback: FEEDBACK });
    expect(user).toMatch(/^# Task: /);
    expect(user).toContain(TITLE);
    expect(user).toContain(DESCRIPTION);
    expect(user).toContain('## How to work');

    const repository = section(user, 'Repository');
    expect(repository).toBeDefined();
    expect(repository).toContain('- Languages: JavaScript (2 files), JSON (1 files)');
    expect(repository).toContain('- Frameworks: Fastify');
    expect(repository).toContain('- Tests: npm test (node:test)');
    expect(repository).toContain('- Tests live in: test');

    const files = section(user, 'Files');
    expect(files).toBeDefined();
    // The shown file, fenced with its language, its final newline not doubled.
    expect(files).toContain(`src/stats.js\n\`\`\`js\n${context.relevant[0]?.content}\`\`\``);
    // Listed but not shown: files with a language only (LICENSE has none).
    expect(files).toContain('Other files exist but are not shown: package.json, test/stats.test.js');
    expect(files).not.toContain('LICENSE');

    expect(section(user, 'Feedback from the previous attempt')).toContain(FEEDBACK);
    expect(section(user, 'Answer')).toContain('SEARCH/REPLACE blocks');
    // Sections come in a fixed order, the answer instruction last.
    const order = ['## How to work', '## Repository', '## Files', '## Feedback from the previous attempt', '## Answer'].map((h) => user.indexOf(h));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(user.trimEnd().endsWith('Reply with SEARCH/REPLACE blocks that complete the task.')).toBe(true);
  });

  it('has no Feedback section on a first attempt', () => {
    const { user } = renderPrompt(templates, { mode, title: TITLE, context });
    expect(user).not.toContain('Feedback');
    expect(user).not.toContain('previous attempt');
    expect(section(user, 'Repository')).toBeDefined();
    expect(section(user, 'Files')).toBeDefined();
    expect(section(user, 'Answer')).toBeDefined();
  });

  it('explains the SEARCH/REPLACE format in the system prompt', () => {
    const { system } = renderPrompt(templates, { mode, title: TITLE, context });
    expect(system).toContain('<<<<<<< SEARCH');
    expect(system).toContain('=======');
    expect(system).toContain('>>>>>>> REPLACE');
    expect(system).toMatch(/names the file on the line before/);
    expect(system).toMatch(/To create a new file, leave SEARCH empty/);
    expect(system).toMatch(/appear exactly once/);
    expect(system).toBe(system.trim());
  });
});

describe('renderPrompt details', () => {
  it('gives each mode its own instructions', () => {
    const users = GENERATION_MODES.map((mode) => renderPrompt(templates, { mode, title: TITLE, context }).user);
    const headings = users.map((u) => u.split('\n')[0]);
    expect(new Set(headings).size).toBe(GENERATION_MODES.length);
    expect(users[GENERATION_MODES.indexOf('BUG_FIXING')]).toContain('root cause');
    expect(users[GENERATION_MODES.indexOf('REFACTORING')]).toContain('Keep behaviour exactly the same');
  });

  it('omits the description, frameworks and test dirs when there are none', () => {
    const { testCommand: _command, testFramework: _framework, ...rest } = context;
    const bare: RepoContext = { ...rest, frameworks: [], testDirs: [], languages: [] };
    const { user } = renderPrompt(templates, { mode: 'FEATURE_DEVELOPMENT', title: TITLE, context: bare });
    expect(user).not.toContain(DESCRIPTION);
    expect(user).not.toContain('Frameworks:');
    expect(user).not.toContain('Tests live in:');
    expect(user).toContain('- Tests: none found');
    expect(user).toContain('- Languages: unknown');
    expect(user).not.toMatch(/\n{3,}/);
  });

  it('includes team standards and lessons when given', () => {
    const { user } = renderPrompt(templates, {
      mode: 'FEATURE_DEVELOPMENT',
      title: TITLE,
      context,
      standards: 'Use named exports.',
      lessons: 'The tests run with --experimental-vm-modules.',
    });
    expect(section(user, 'Team standards')).toContain('Use named exports.');
    expect(section(user, 'Lessons from earlier tasks in this repository')).toContain('--experimental-vm-modules');
  });

  it('shows file content and feedback verbatim: no HTML escaping, no template expansion', () => {
    const tricky: RepoContext = {
      ...context,
      relevant: [{ path: 'src/page.js', reason: 'test', content: 'const html = "<b>{{title}}</b> & \'x\'";\n' }],
    };
    const { user } = renderPrompt(templates, { mode: 'BUG_FIXING', title: 'T', context: tricky, feedback: 'a < b && c > d' });
    expect(user).toContain('const html = "<b>{{title}}</b> & \'x\'";');
    expect(user).toContain('a < b && c > d');
    expect(user).not.toContain('&lt;');
  });

  it('lists at most 40 omitted files and counts the rest', () => {
    const many: RepoContext = {
      ...context,
      files: Array.from({ length: 45 }, (_, i) => ({ path: `src/f${i}.js`, size: 1, language: 'JavaScript' })),
      relevant: [],
    };
    const { user } = renderPrompt(templates, { mode: 'REFACTORING', title: TITLE, context: many });
    expect(user).toContain('src/f39.js, and 5 more');
    expect(user).not.toContain('src/f40.js');
  });
});

describe('renderPrompt with what the context engine found', () => {
  it('shows the repo map, architecture, conventions, tooling, team standards and what was left out', () => {
    const rich: RepoContext = {
      ...context,
      tooling: [{ tool: 'Prettier', kind: 'format', config: '.prettierrc', notes: ['singleQuote: true'] }],
      architecture: { patterns: ['layered (routes → services → repositories)'], layers: [{ layer: 'routes', dirs: ['src/routes'] }], workspaces: [], testLayout: 'mirrored', entryPoints: [] },
      conventions: {
        naming: 'functions and methods camelCase',
        imports: 'project imports relative; relative imports end in .js',
        formatting: '2-space indent; semicolons; single quotes',
        files: 'file names kebab-case',
        measured: { camelCase: 1, snake_case: 0, PascalCase: 1, relativeImports: 1, aliasImports: 0, packageImports: 0 },
      },
      repoMap: { text: 'src/stats.js:\n  export function median(xs)\n', tokens: 11, budget: 4096, files: 1, symbols: 1, ranked: [] },
      team: { standards: ['Never mutate the input array.'], patterns: [], testing: ['Every function has a test.'], sources: ['CONTRIBUTING.md'] },
      leftOut: [{ what: 'repo map: 3 files (src/a.js, src/b.js, src/c.js)', reason: 'over the budget' }],
    };
    const { user } = renderPrompt(templates, { mode: 'BUG_FIXING', title: TITLE, context: rich });
    expect(section(user, 'Repository map')).toBe(
      'The most relevant symbols of the repository for this task, best ranked first (signatures only):\n\n```\nsrc/stats.js:\n  export function median(xs)\n```\n\n',
    );
    expect(section(user, 'Repository')).toContain(
      '- Architecture: layered (routes → services → repositories)\n- Layers: routes in src/routes\n- Conventions: functions and methods camelCase; project imports relative; relative imports end in .js; 2-space indent; semicolons; single quotes\n- Lint and format: Prettier (.prettierrc)\n',
    );
    expect(section(user, 'Team standards')).toBe('- Never mutate the input array.\n- Testing: Every function has a test.\n\n');
    expect(user).toContain('Left out for space: repo map: 3 files (src/a.js, src/b.js, src/c.js)');
    // Given standards win over the repository's own.
    expect(renderPrompt(templates, { mode: 'BUG_FIXING', title: TITLE, context: rich, standards: 'Be brief.' }).user).not.toContain('Never mutate');
  });
});

describe('renderPrompt: change of strategy, hypothesis, structured output', () => {
  it('asks for whole files, names the files to start with and shows the hypothesis', async () => {
    const prompt = renderPrompt(templates, {
      mode: 'BUG_FIXING',
      title: TITLE,
      context,
      feedback: FEEDBACK,
      hypothesis: 'median() returns the first element of the sorted list',
      strategy: 'whole-file',
      focusFiles: ['src/stats.js', 'test/stats.test.js'],
    });
    await expect(prompt.user).toMatchFileSnapshot('./__snapshots__/prompt-BUG_FIXING-whole-file.md');
    expect(section(prompt.user, "Debugger's hypothesis")).toContain('median() returns the first element of the sorted list');
    expect(section(prompt.user, 'Change of strategy')).toContain('(start with src/stats.js, test/stats.test.js)');
    expect(section(prompt.user, 'Answer')).toContain('"FILE: path" followed by its complete content');
    expect(prompt.system).toContain('FILE: path/to/file.ext');
    expect(prompt.system).not.toContain('<<<<<<< SEARCH');
    const order = ['## Feedback from the previous attempt', "## Debugger's hypothesis", '## Change of strategy', '## Answer'].map((h) => prompt.user.indexOf(h));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('asks for one JSON object when structured output is on', () => {
    const prompt = renderPrompt(templates, { mode: 'FEATURE_DEVELOPMENT', title: TITLE, context, structured: true });
    expect(prompt.system).toContain('Answer with one JSON object');
    expect(prompt.system).not.toContain('<<<<<<< SEARCH');
    expect(section(prompt.user, 'Answer')).toContain('Reply with one JSON object {"edits"');
    expect(prompt.user).not.toContain('Reply with SEARCH/REPLACE blocks');
  });
});

describe("a repository's own templates", () => {
  it('replace the bundled mode template, sections and system prompt; a link out of the worktree is ignored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patchbay-templates-'));
    const outside = await mkdtemp(join(tmpdir(), 'patchbay-outside-'));
    try {
      await mkdir(join(dir, '.patchbay/templates'), { recursive: true });
      await writeFile(join(dir, '.patchbay/templates/BUG_FIXING.md'), '# Our bug process\n\n{{title}}\n{{> sections}}');
      await writeFile(join(dir, '.patchbay/templates/sections.md'), '\n## Files\n{{#files}}\n{{path}}\n{{/files}}\n\n## Answer\nBlocks, please.\n');
      await writeFile(join(outside, 'system.md'), 'stolen system prompt');
      await symlink(join(outside, 'system.md'), join(dir, '.patchbay/templates/system.md'));
      const { templates: own, overridden } = await withRepoTemplates(templates, dir, 'BUG_FIXING');
      expect(overridden.sort()).toEqual(['.patchbay/templates/BUG_FIXING.md', '.patchbay/templates/sections.md']);
      const prompt = renderPrompt(own, { mode: 'BUG_FIXING', title: TITLE, context });
      expect(prompt.user).toBe(`# Our bug process\n\n${TITLE}\n\n## Files\nsrc/stats.js\n\n## Answer\nBlocks, please.`);
      expect(prompt.system).toBe(renderPrompt(templates, { mode: 'BUG_FIXING', title: TITLE, context }).system);
      // Other modes keep the bundled template.
      expect(renderPrompt(own, { mode: 'TESTING', title: TITLE, context }).user).toMatch(/^# Task: write tests/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('are not needed: without .patchbay/templates the bundled ones are used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patchbay-templates-'));
    try {
      const { templates: same, overridden } = await withRepoTemplates(templates, dir, 'REFACTORING');
      expect(overridden).toEqual([]);
      expect(same).toEqual(templates);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
