import { readFile } from 'node:fs/promises';
import { GENERATION_MODES, type GenerationMode } from '@patchbay/contracts';
import { resolveInside } from '@patchbay/workspace';
import type { Templates } from './domain/prompt.js';

/** The bundled templates, next to the package's source and build output. */
export const TEMPLATE_DIR = new URL('../templates/', import.meta.url);

/** Where a repository keeps its own templates, relative to its root. */
export const REPO_TEMPLATE_DIR = '.patchbay/templates';

export async function loadTemplates(dir: URL = TEMPLATE_DIR): Promise<Templates> {
  const read = (name: string) => readFile(new URL(name, dir), 'utf8');
  const modes = Object.fromEntries(
    await Promise.all(GENERATION_MODES.map(async (mode) => [mode, await read(`${mode}.md`)] as const)),
  ) as Record<GenerationMode, string>;
  return { system: await read('system.md'), sections: await read('sections.md'), modes };
}

/**
 * The bundled templates with the repository's own in their place: `.patchbay/templates/`
 * at the task's base commit may hold `<MODE>.md`, `sections.md` and `system.md`. Every
 * path is resolved inside the worktree, so a symlink out of it is refused, not followed.
 */
export async function withRepoTemplates(bundled: Templates, worktree: string, mode: GenerationMode): Promise<{ templates: Templates; overridden: string[] }> {
  const overridden: string[] = [];
  const read = async (name: string): Promise<string | undefined> => {
    const path = `${REPO_TEMPLATE_DIR}/${name}`;
    let abs: string;
    try {
      abs = await resolveInside(worktree, path);
    } catch {
      return undefined;
    }
    const text = await readFile(abs, 'utf8').catch(() => undefined);
    if (text !== undefined && text.trim() !== '') overridden.push(path);
    return text?.trim() ? text : undefined;
  };
  const [system, sections, modeText] = await Promise.all([read('system.md'), read('sections.md'), read(`${mode}.md`)]);
  return {
    templates: {
      system: system ?? bundled.system,
      sections: sections ?? bundled.sections,
      modes: { ...bundled.modes, ...(modeText !== undefined ? { [mode]: modeText } : {}) },
    },
    overridden,
  };
}
