import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '@patchbay/errors';
import { isSecretName, secretValuesFrom } from '@patchbay/secrets';
import { type Tree, merge } from './merge.js';
import { type ConfigInput, ConfigSchema, ENV_SETTINGS, type Settings, isOn } from './schema.js';

/** Settings plus what the process inherited that others need to know. */
export type Config = Settings & {
  /** Values that must be masked wherever text leaves the process. */
  knownSecrets: readonly string[];
  /** The inherited variables sandboxed commands may see (sandbox.passEnv, minus secrets). */
  sandboxEnv: Readonly<Record<string, string>>;
  /** Credential files and directories of the real home that an isolated command must not read. */
  sandboxHide: readonly string[];
};

/** Where tools keep credentials, relative to the home directory. */
const CREDENTIAL_PATHS = ['.ssh', '.aws', '.azure', '.gnupg', '.docker', '.kube', '.config/gh', '.config/gcloud', '.netrc', '.npmrc', '.pypirc', '.git-credentials', '.cargo/credentials.toml', '.m2/settings.xml'];


export interface LoadConfigOptions {
  /** Defaults to process.env: the only place patchbay reads the environment. */
  env?: Record<string, string | undefined>;
  /** A YAML file; PATCHBAY_CONFIG names one when absent. */
  file?: string;
  /** Highest precedence, e.g. command-line flags. */
  overrides?: ConfigInput;
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node[key] = typeof next === 'object' && next !== null ? next : {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1] as string] = value;
}

function envNameFor(path: readonly PropertyKey[]): string | undefined {
  // The variable of the setting or of the list the bad item is in (context.localRoots.1).
  const joined = path.join('.');
  return Object.entries(ENV_SETTINGS).find(([, p]) => p.join('.') === joined || joined.startsWith(`${p.join('.')}.`))?.[0];
}

function describe(error: z.ZodError, source: string): string {
  return error.issues
    .map((issue) => {
      const setting = issue.path.join('.');
      const env = envNameFor(issue.path);
      return `  ${env ? `${env} (${setting})` : setting}: ${issue.message}`;
    })
    .join('\n')
    .concat(`\n  (settings come from ${source})`);
}

/** Reads settings once: defaults < YAML file < environment < overrides. Throws ConfigError naming the bad setting. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env['PATCHBAY_CONFIG'];
  let tree: Tree = {};
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`Invalid configuration: the config file ${file} (PATCHBAY_CONFIG) cannot be read`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new ConfigError(`Invalid configuration: ${file} is not valid YAML (${(err as Error).message})`, { cause: err });
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError(`Invalid configuration: ${file} must hold a YAML mapping`);
    }
    tree = (parsed ?? {}) as Tree;
  }
  const fromEnv: Tree = {};
  // On a CI runner nothing is left running after a job (as Nx and Turborepo treat their daemons); the setting itself still wins.
  if (isOn(env['CI'] ?? '')) setPath(fromEnv, ['context', 'startEngine'], 'false');
  for (const [name, path] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(fromEnv, path, value);
  }
  tree = merge(merge(tree, fromEnv), (options.overrides ?? {}) as Tree);
  const result = ConfigSchema.safeParse(tree);
  if (!result.success) {
    const source = ['defaults', file ? `file ${file}` : '', 'environment', options.overrides ? 'flags' : '']
      .filter(Boolean)
      .join(', ');
    throw new ConfigError(`Invalid configuration:\n${describe(result.error, source)}`);
  }
  const sandboxEnv: Record<string, string> = {};
  for (const name of result.data.sandbox.passEnv) {
    const value = env[name];
    if (value !== undefined && !isSecretName(name)) sandboxEnv[name] = value;
  }
  // A key given in the YAML file or as a flag is as secret as one in the environment.
  const apiKey = result.data.llm.openaiApiKey;
  const knownSecrets = secretValuesFrom(env);
  if (apiKey !== undefined && !knownSecrets.includes(apiKey)) knownSecrets.push(apiKey);
  const home = env['HOME'];
  const sandboxHide = home && home !== '/' ? CREDENTIAL_PATHS.map((p) => join(home, p)).filter((p) => existsSync(p)) : [];
  return { ...result.data, knownSecrets, sandboxEnv, sandboxHide };
}
