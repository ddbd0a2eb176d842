#!/usr/bin/env node
/**
 * Runs the whole suite on other Node.js majors (default: 22 and 24), each fetched once from
 * the npm registry (the official binaries, packaged as node-<platform>-<arch>) into
 * .tools/node-<major>/, so a machine that reaches only the registry can check that patchbay
 * works on newer Node than its own. Run after `npm test` (which builds):
 *
 *   node scripts/test-on-node.mjs          # 22 and 24
 *   node scripts/test-on-node.mjs 24 26
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const majors = process.argv.slice(2);
for (const m of majors) {
  if (!/^\d+$/.test(m)) {
    process.stderr.write(`test-on-node: "${m}" is not a Node.js major version (e.g. 22)\nusage: node scripts/test-on-node.mjs [major ...]\n`);
    process.exit(2);
  }
}
const say = (text) => process.stdout.write(`test-on-node: ${text}\n`);
const platform = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;

/** The node binary of a major version, fetched from the registry the first time. */
function nodeOf(major) {
  const dir = join(root, '.tools', `node-${major}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  const scratch = mkdtempSync(join(tmpdir(), 'patchbay-node-'));
  try {
    say(`fetching node-${platform}@${major} from the npm registry`);
    const pack = spawnSync('npm', ['pack', `node-${platform}@${major}`, '--silent'], { cwd: scratch, encoding: 'utf8' });
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (pack.status !== 0 || !tarball) throw new Error(`npm pack node-${platform}@${major} failed: ${(pack.stderr || pack.stdout).trim().slice(0, 500)}`);
    mkdirSync(dir, { recursive: true });
    if (spawnSync('tar', ['xzf', join(scratch, tarball), '-C', dir]).status !== 0) throw new Error(`could not unpack ${tarball}`);
    return bin;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const results = [];
for (const major of majors.length ? majors : ['22', '24']) {
  let node;
  try {
    node = nodeOf(major);
  } catch (err) {
    results.push(`Node ${major}: not run (${err.message})`);
    continue;
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  say(`running the suite on Node ${version}`);
  // Everything the tests start with "node" or process.execPath is this Node too.
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };
  const run = spawnSync(node, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], { cwd: root, env, stdio: 'inherit' });
  results.push(`Node ${version}: ${run.status === 0 ? 'passed' : `failed (exit ${run.status ?? run.signal})`}`);
}
for (const line of results) say(line);
process.exit(results.every((line) => line.endsWith('passed')) ? 0 : 1);
