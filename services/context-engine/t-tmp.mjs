import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
const repo = '/tmp/prof/self';
const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').filter((f) => !f.endsWith('.d.ts'));
const texts = files.map((f) => readFileSync(`${repo}/${f}`, 'utf8'));
const { loadSymbolParser } = await import('./dist/parsing/tree-sitter.js');
const t0 = performance.now();
const sp = await loadSymbolParser(); await sp.load(['typescript']);
const out = [`load ${(performance.now() - t0) | 0}`];
for (let round = 0; round < 2; round++) {
  let t = performance.now(); let chars = 0;
  for (let i = 0; i < texts.length; i++) {
    sp.parse('typescript', texts[i]); chars += texts[i].length;
    if ((i + 1) % 44 === 0 || i === texts.length - 1) { out.push(`${((performance.now() - t)) | 0}ms/${(chars / 1000) | 0}k`); t = performance.now(); chars = 0; }
  }
  out.push('|');
}
console.log(out.join(' '));
