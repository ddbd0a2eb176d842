/**
 * Runs ESLint with a repository's own eslint.config.* layered with ours. Loading that
 * config runs the repository's code, so this runs as its own process in the sandbox:
 * `node eslint-child.js <request.json>`; it writes the results to the request's `out`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { type EslintSettings, ourEslintConfig } from './eslint-config.js';

interface Request {
  cwd: string;
  configFile: string;
  files: string[];
  settings: EslintSettings;
  out: string;
}

const request = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Request;
try {
  const eslint = new ESLint({ cwd: request.cwd, overrideConfigFile: request.configFile, overrideConfig: ourEslintConfig(request.settings), errorOnUnmatchedPattern: false });
  const results = await eslint.lintFiles(request.files);
  writeFileSync(request.out, JSON.stringify({ ok: true, results: results.map((r) => ({ filePath: r.filePath, messages: r.messages })) }));
} catch (err) {
  writeFileSync(request.out, JSON.stringify({ ok: false, error: (err as Error).message.split('\n')[0]?.slice(0, 300) }));
}
