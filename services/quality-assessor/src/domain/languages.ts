import type { LanguageSettings } from '@patchbay/config';
import type { Grammar } from '@patchbay/grammars';

/** The configured language of a file: by its ending, else by the interpreter its shebang names. */
export function languageOf(path: string, languages: Readonly<Record<string, LanguageSettings>>, firstLine?: string): string | undefined {
  const lower = path.toLowerCase();
  let best: { name: string; length: number } | undefined;
  for (const [name, settings] of Object.entries(languages)) {
    if (!settings.enabled) continue;
    for (const ext of settings.extensions) {
      if (lower.endsWith(ext.toLowerCase()) && (!best || ext.length > best.length)) best = { name, length: ext.length };
    }
  }
  if (best) return best.name;
  const shebang = firstLine !== undefined ? /^#!\s*(?:\/usr\/bin\/env\s+(?:-S\s+)?)?(?:\S*\/)?([A-Za-z0-9.]+)/.exec(firstLine) : null;
  if (shebang) {
    const interpreter = (shebang[1] ?? '').replace(/[\d.]+$/, '');
    for (const [name, settings] of Object.entries(languages)) {
      if (settings.enabled && settings.shebangs.some((s) => s.replace(/[\d.]+$/, '') === interpreter)) return name;
    }
  }
  return undefined;
}

/** Languages whose syntax tree the analysers can read, and the grammar for each. */
export const GRAMMARS: Readonly<Record<string, Grammar>> = {
  javascript: 'javascript',
  typescript: 'typescript',
  python: 'python',
  shell: 'bash',
  go: 'go',
  rust: 'rust',
  java: 'java',
  ruby: 'ruby',
};
