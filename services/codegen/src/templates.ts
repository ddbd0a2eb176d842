import { readFile } from 'node:fs/promises';
import { GENERATION_MODES, type GenerationMode } from '@patchbay/contracts';
import type { Templates } from './domain/prompt.js';

/** The bundled templates, next to the package's source and build output. */
export const TEMPLATE_DIR = new URL('../templates/', import.meta.url);

export async function loadTemplates(dir: URL = TEMPLATE_DIR): Promise<Templates> {
  const read = (name: string) => readFile(new URL(name, dir), 'utf8');
  const modes = Object.fromEntries(
    await Promise.all(GENERATION_MODES.map(async (mode) => [mode, await read(`${mode}.md`)] as const)),
  ) as Record<GenerationMode, string>;
  return { system: await read('system.md'), sections: await read('sections.md'), modes };
}
