#!/usr/bin/env node
/**
 * Makes a fresh clone runnable with only Node.js and npm: installs pnpm if it is
 * missing, installs the workspace, builds it, and installs nats-server, the analysers
 * and bubblewrap where the machine allows (Debian, as root). Fast when nothing changed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (text) => process.stdout.write(`setup: ${text}\n`);
const run = (cmd, args, options = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
const works = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`patchbay needs Node.js 20.19 or newer; this is ${process.versions.node}\n`);
  process.exit(1);
}

function findPnpm() {
  if (works('pnpm')) return 'pnpm';
  const local = join(root, '.tools', 'node_modules', '.bin', 'pnpm');
  if (existsSync(local)) return local;
  say('pnpm is missing: installing it with npm');
  if (run('npm', ['install', '-g', 'pnpm@12', '--no-fund', '--no-audit']).status === 0 && works('pnpm')) return 'pnpm';
  say('global install not possible here: installing pnpm into .tools/');
  if (run('npm', ['install', '--prefix', join(root, '.tools'), 'pnpm@12', '--no-fund', '--no-audit']).status === 0) return local;
  process.stderr.write('could not install pnpm; install it yourself (npm install -g pnpm) and run this again\n');
  process.exit(1);
}

function manifestsHash() {
  const hash = createHash('sha256');
  const add = (file) => existsSync(file) && hash.update(file).update(readFileSync(file));
  add(join(root, 'pnpm-lock.yaml'));
  add(join(root, 'package.json'));
  add(join(root, 'pnpm-workspace.yaml'));
  for (const group of ['contracts', 'packages', 'services']) {
    const dir = join(root, group);
    if (existsSync(join(dir, 'package.json'))) add(join(dir, 'package.json'));
    else if (existsSync(dir)) for (const name of readdirSync(dir).sort()) add(join(dir, name, 'package.json'));
  }
  return hash.digest('hex');
}

const pnpm = findPnpm();
const stamp = join(root, 'node_modules', '.patchbay-setup');
const wanted = manifestsHash();
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
  say('installing dependencies');
  if (run(pnpm, ['install', '--frozen-lockfile']).status !== 0) process.exit(1);
  writeFileSync(stamp, wanted);
}

say('building');
if (run(join(root, 'node_modules', '.bin', 'tsc'), ['-b']).status !== 0) process.exit(1);
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
if (existsSync(bin)) chmodSync(bin, 0o755);

/**
 * Debian packages the tests and the quality assessor use: nats-server, the analysers
 * (bandit, pyflakes, shellcheck) and bubblewrap for sandbox isolation. Installed with
 * apt-get where the machine allows (Debian, as root); otherwise a notice says what degrades.
 */
const exists = (...paths) => paths.some((p) => existsSync(p));
const DEBIAN = [
  { name: 'nats-server', present: () => works('nats-server', ['--version']) || exists('/usr/sbin/nats-server'), without: 'tests need a nats-server binary, a Docker engine, or NATS_URL' },
  { name: 'bandit', present: () => works('bandit', ['--version']), without: 'Python security findings from bandit are skipped (the assessor says so)' },
  { name: 'python3-pyflakes', present: () => works('pyflakes3', ['--version']) || works('pyflakes', ['--version']), without: 'pyflakes findings are skipped (the assessor says so)' },
  { name: 'shellcheck', present: () => works('shellcheck', ['--version']), without: 'shell scripts get syntax checks only (the assessor says so)' },
  { name: 'bubblewrap', present: () => works('bwrap', ['--version']), without: 'sandboxed runs are not network-isolated (reports say so)' },
];
const missing = DEBIAN.filter((p) => !p.present());
if (missing.length > 0) {
  const root_ = typeof process.getuid === 'function' && process.getuid() === 0;
  const names = missing.map((p) => p.name);
  if (root_ && works('apt-get', ['--version'])) {
    say(`installing with apt-get: ${names.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['install', '-y', '-qq', ...names], { env }).status !== 0) {
      run('apt-get', ['update', '-qq'], { env });
      run('apt-get', ['install', '-y', '-qq', ...names], { env });
    }
  }
  for (const p of DEBIAN.filter((x) => !x.present())) say(`note: ${p.name} is not installed (apt-get install ${p.name}): ${p.without}`);
}
