#!/usr/bin/env node
/** Puts `patchbay` on PATH: a link from npm's global bin directory to this checkout's CLI. */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'packages', 'cli', 'dist', 'bin.js');
if (!existsSync(target)) {
  process.stderr.write('build first: npm run setup\n');
  process.exit(1);
}
const prefix = execFileSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).trim();
const binDir = process.platform === 'win32' ? prefix : join(prefix, 'bin');
const link = join(binDir, 'patchbay');
mkdirSync(binDir, { recursive: true });
if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) unlinkSync(link);
symlinkSync(target, link);
process.stdout.write(`patchbay → ${target}\n(link at ${link}; remove it to uninstall)\n`);
