import type { Linter } from 'eslint';
import n from 'eslint-plugin-n';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';
import type { LanguageSettings } from '@patchbay/config';

export const JS_FILES = ['**/*.js', '**/*.mjs', '**/*.cjs', '**/*.jsx'];
export const TS_FILES = ['**/*.ts', '**/*.mts', '**/*.cts', '**/*.tsx'];

export interface EslintSettings {
  javascript?: LanguageSettings | undefined;
  typescript?: LanguageSettings | undefined;
  /** The repository declares the Node versions it supports (package.json engines): eslint-plugin-n reads them. */
  hasEngines: boolean;
}

function rulesFor(settings: LanguageSettings | undefined, hasEngines: boolean): Linter.RulesRecord {
  const target = settings?.targetVersion;
  const nodeVersion = !hasEngines && target ? { version: `>=${target}` } : {};
  const securityRules = { ...(security.configs.recommended.rules as Linter.RulesRecord) };
  return {
    ...securityRules,
    // Flags every obj[key]: far too noisy to score; our taint rules cover the real cases.
    'security/detect-object-injection': 'off',
    'no-eval': 'error',
    'no-implied-eval': 'error',
    'no-new-func': 'error',
    complexity: ['warn', settings?.complexity ?? 10],
    'max-depth': ['warn', 5],
    'max-lines-per-function': ['warn', { max: settings?.functionLines ?? 80, skipBlankLines: true, skipComments: true }],
    'no-await-in-loop': 'warn',
    'no-unreachable': 'error',
    'no-dupe-keys': 'error',
    'no-self-assign': 'warn',
    'no-cond-assign': 'warn',
    'use-isnan': 'error',
    'valid-typeof': 'error',
    'no-unsafe-finally': 'warn',
    'no-fallthrough': 'warn',
    eqeqeq: ['warn', 'smart'],
    'no-var': 'warn',
    'prefer-const': 'warn',
    'no-useless-catch': 'warn',
    '@typescript-eslint/no-unused-vars': ['warn', { args: 'none', ignoreRestSiblings: true, caughtErrors: 'none' }],
    'n/no-unsupported-features/node-builtins': ['warn', nodeVersion],
    'n/no-unsupported-features/es-builtins': ['warn', nodeVersion],
    'n/no-deprecated-api': 'warn',
  };
}

/** Our rules, as flat config blocks; a repository's own config is layered before them. */
export function ourEslintConfig(settings: EslintSettings): Linter.Config[] {
  const base: Linter.Config = {
    languageOptions: {
      parser: tseslint.parser as Linter.Parser,
      ecmaVersion: 'latest',
      sourceType: 'module',
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    plugins: { security: security as never, n: n as never, '@typescript-eslint': tseslint.plugin as never },
  };
  return [
    { ...base, files: JS_FILES, rules: rulesFor(settings.javascript, settings.hasEngines) },
    { ...base, files: TS_FILES, rules: rulesFor(settings.typescript, settings.hasEngines) },
  ];
}
