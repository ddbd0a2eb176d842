import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '@patchbay/errors';
import { merge, type Tree } from './merge.js';

/**
 * What the quality assessor scores and how, and what the feedback processor learns:
 * `config/agent_config.yaml` and `config/language_configs/<lang>.yaml` at the root of
 * patchbay, then a repository's own `.patchbay/agent_config.yaml` (at its base commit).
 */

const DIMENSIONS = ['readability', 'maintainability', 'correctness', 'performance', 'security', 'documentation', 'testing'] as const;
const Dimension = z.enum(DIMENSIONS);
const unit = z.number().min(0).max(1);
const RuleLevel = z.enum(['off', 'info', 'warning', 'error']);

export const LanguageSettings = z.object({
  /** File name endings that belong to the language, e.g. `.py`. */
  extensions: z.array(z.string().min(1)).min(1),
  /** File names without a telling ending, e.g. `Dockerfile`; shebang lines are read too. */
  shebangs: z.array(z.string()).default([]),
  enabled: z.boolean().default(true),
  /** Cyclomatic complexity above which a function is a maintainability finding. */
  complexity: z.number().int().positive().default(10),
  /** Lines above which a function is a maintainability finding. */
  functionLines: z.number().int().positive().default(80),
  /** The coder standards checked on the syntax tree. */
  checklist: z
    .object({
      typeHints: z.boolean().default(false),
      noPrint: z.boolean().default(true),
      importsAtTop: z.boolean().default(true),
      errorHandling: z.boolean().default(true),
      secrets: z.boolean().default(true),
      docs: z.boolean().default(true),
    })
    .prefault({}),
  /** Paths (globs) where printing is how a program talks: scripts, binaries, examples. */
  printAllowed: z.array(z.string()).default([]),
  /** Paths (globs) of test files. */
  testFiles: z.array(z.string()).default([]),
  /** Per-rule level: `off` drops a rule, the others replace its severity. */
  rules: z.record(z.string(), RuleLevel).default({}),
  /** The oldest runtime the code must work on (compatibility checks), e.g. `20.19` or `3.9`. */
  targetVersion: z.string().optional(),
});
export type LanguageSettings = z.output<typeof LanguageSettings>;

export const QualityConfigSchema = z.object({
  quality: z
    .object({
      /** Overall score an attempt must reach; a task's own constraints.qualityThreshold wins. */
      threshold: unit.default(0.8),
      weights: z.partialRecord(Dimension, z.number().min(0)).default({
        correctness: 0.3,
        security: 0.2,
        testing: 0.15,
        maintainability: 0.1,
        readability: 0.1,
        performance: 0.1,
        documentation: 0.05,
      }),
      /** Scores a dimension may not fall below, whatever the overall score. */
      minimums: z.partialRecord(Dimension, unit).default({ correctness: 0.6, security: 0.7 }),
      /** Dimensions in which an attempt may add no finding of severity warning or worse. */
      mustNotDrop: z.array(Dimension).default(['security']),
      /** Score a dimension loses per charged finding, by severity. */
      penalties: z
        .object({ error: unit.default(0.3), warning: unit.default(0.1), info: unit.default(0.02) })
        .prefault({}),
    })
    .prefault({}),
  analysers: z
    .object({
      /** Analysers run at once. */
      parallelism: z.number().int().min(1).max(16).default(4),
      /** Limit for one analyser process. */
      timeoutMs: z.number().int().positive().default(120_000),
      /** Reuse results by (tool version, configuration, file blob hash). */
      cache: z.boolean().default(true),
      /** Reuse a test run for the same tree and command (deterministic suites). */
      cacheTests: z.boolean().default(true),
      /** Ask runners that can for JUnit XML and read results from it. */
      junit: z.boolean().default(true),
      /** Files analysed at most per assessment (the changed ones first). */
      maxFiles: z.number().int().positive().default(400),
    })
    .prefault({}),
  feedback: z
    .object({
      /** Size of the improvement section of the next prompt, in tokens (about 4 characters each). */
      tokenBudget: z.number().int().positive().default(700),
      maxItems: z.number().int().positive().max(50).default(8),
    })
    .prefault({}),
  learning: z
    .object({
      enabled: z.boolean().default(true),
      /** Lessons put into a prompt, at most, and their size in tokens. */
      maxLessons: z.number().int().min(0).max(20).default(5),
      tokenBudget: z.number().int().positive().default(300),
      /** A lesson's weight halves in this many days without being seen again. */
      halfLifeDays: z.number().positive().default(30),
      /** Lessons lighter than this are forgotten. */
      minWeight: z.number().min(0).default(0.2),
      /** Lessons kept per repository. */
      keep: z.number().int().positive().max(100).default(50),
    })
    .prefault({}),
  languages: z.record(z.string(), LanguageSettings).default({}),
});
export type QualityConfig = z.output<typeof QualityConfigSchema>;

/** patchbay's own config/ directory (the repository root's). */
export const DEFAULT_QUALITY_CONFIG_DIR = fileURLToPath(new URL('../../../config/', import.meta.url));

function readYaml(path: string, what: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${what} ${path} cannot be read`, { cause: err });
  }
  return parseTree(text, `${what} ${path}`);
}

function parseTree(text: string, where: string): Tree {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${where} is not valid YAML (${(err as Error).message})`, { cause: err });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`Invalid configuration: ${where} must hold a YAML mapping`);
  return parsed as Tree;
}

function validate(tree: Tree, where: string): QualityConfig {
  const result = QualityConfigSchema.safeParse(tree);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid quality configuration in ${where}:\n${issues}`);
  }
  return result.data;
}

/** Reads `agent_config.yaml` and every `language_configs/<lang>.yaml` of a directory. */
export function loadQualityConfig(dir: string = DEFAULT_QUALITY_CONFIG_DIR): QualityConfig {
  const tree = readYaml(join(dir, 'agent_config.yaml'), 'agent config');
  const languages: Tree = { ...((tree['languages'] as Tree | undefined) ?? {}) };
  let files: string[] = [];
  try {
    files = readdirSync(join(dir, 'language_configs')).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    // No language configs: only the agent config's own `languages`.
  }
  for (const file of files) {
    const name = basename(file).replace(/\.ya?ml$/, '');
    languages[name] = merge((languages[name] as Tree | undefined) ?? {}, readYaml(join(dir, 'language_configs', file), 'language config'));
  }
  return validate({ ...tree, languages }, dir);
}

/**
 * Layers a repository's own `.patchbay/agent_config.yaml` over the project's settings:
 * any key of the agent config, and `languages.<lang>` for per-language settings.
 */
export function withRepositoryOverride(base: QualityConfig, yamlText: string, where = '.patchbay/agent_config.yaml'): { config: QualityConfig; threshold?: number } {
  const over = parseTree(yamlText, where);
  const config = validate(merge(base as unknown as Tree, over), where);
  const set = (over['quality'] as Tree | undefined)?.['threshold'] !== undefined;
  return set ? { config, threshold: config.quality.threshold } : { config };
}

/** Stable hash input for the settings that change an analyser's findings. */
export function languageFingerprint(settings: LanguageSettings | undefined): string {
  return JSON.stringify(settings ?? null);
}
