#!/usr/bin/env node
/**
 * Detection benchmark: every labelled snippet in snippets/<lang>/<category>.<vuln|clean>.<n>.<ext>
 * through the same analysers as `patchbay analyze`, then precision and recall per
 * vulnerability class (a snippet is flagged for a class when any finding names that class).
 *
 *   npm run build && node bench/quality/detection.mjs [--json] [--verbose]
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryCache } from '../../packages/bus/dist/index.js';
import { loadConfig, loadQualityConfig } from '../../packages/config/dist/index.js';
import { analyzeTree } from '../../services/quality-assessor/dist/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, 'snippets');
const verbose = process.argv.includes('--verbose');
const settings = loadConfig({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '' } });
const quality = loadQualityConfig();
const LANG = { js: 'javascript', ts: 'typescript', py: 'python' };

const snippets = [];
for (const dir of Object.keys(LANG)) {
  for (const file of (await readdir(join(root, dir))).sort()) {
    const m = /^([\w-]+)\.(vuln|clean)\.\d+\.\w+$/.exec(file);
    if (m) snippets.push({ dir, file, category: m[1], vulnerable: m[2] === 'vuln' });
  }
}
const categories = [...new Set(snippets.map((s) => s.category))].sort();

const scratch = await mkdtemp(join(tmpdir(), 'patchbay-bench-detection-'));
const started = performance.now();
const flagged = new Map();
/** The same, counting only the third-party analysers (ESLint's plugins, bandit), without our tree rules. */
const thirdParty = new Map();
let isolated = true;
try {
  // One analysis per language directory: each snippet is its own file, findings are per file.
  for (const dir of Object.keys(LANG)) {
    const report = await analyzeTree({
      dir: join(root, dir),
      config: quality,
      cache: memoryCache(),
      sandbox: { env: settings.sandboxEnv, isolation: settings.sandbox.isolation, hide: settings.sandboxHide, maxOutputBytes: 1_000_000 },
      scratch: join(scratch, dir),
      files: snippets.filter((s) => s.dir === dir).map((s) => s.file),
    });
    isolated &&= report.isolated;
    for (const a of report.analysers) if (a.status === 'missing' || a.status === 'failed') console.error(`warning: ${dir}: ${a.name} ${a.status}: ${a.note ?? ''}`);
    for (const f of report.findings) {
      if (!f.category) continue;
      const key = `${dir}/${f.file}`;
      if (!flagged.has(key)) flagged.set(key, new Map());
      const byCat = flagged.get(key);
      byCat.set(f.category, [...(byCat.get(f.category) ?? []), `${f.tool}/${f.rule}:${f.line}`]);
      if (f.tool !== 'checklist') {
        if (!thirdParty.has(key)) thirdParty.set(key, new Set());
        thirdParty.get(key).add(f.category);
      }
    }
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const rows = [];
const mistakes = [];
for (const category of categories) {
  for (const scope of ['all', ...Object.keys(LANG)]) {
    let tp = 0, fp = 0, fn = 0, positives = 0, negatives = 0;
    for (const s of snippets) {
      if (scope !== 'all' && s.dir !== scope) continue;
      const actual = s.vulnerable && s.category === category;
      const hits = flagged.get(`${s.dir}/${s.file}`)?.get(category);
      const predicted = hits !== undefined;
      if (actual) positives += 1; else negatives += 1;
      if (actual && predicted) tp += 1;
      else if (!actual && predicted) { fp += 1; if (scope === 'all') mistakes.push(`false positive ${category}: ${s.dir}/${s.file} (${hits.join(', ')})`); }
      else if (actual && !predicted) { fn += 1; if (scope === 'all') mistakes.push(`missed ${category}: ${s.dir}/${s.file}`); }
    }
    if (positives === 0) continue;
    let tp3 = 0, fp3 = 0;
    for (const s of snippets) {
      if (scope !== 'all' && s.dir !== scope) continue;
      const hit = thirdParty.get(`${s.dir}/${s.file}`)?.has(category) ?? false;
      if (hit && s.vulnerable && s.category === category) tp3 += 1;
      else if (hit) fp3 += 1;
    }
    rows.push({ category, scope, positives, tp, fp, fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp / (tp + fn), thirdPartyRecall: tp3 / positives, thirdPartyPrecision: tp3 + fp3 === 0 ? 1 : tp3 / (tp3 + fp3) });
  }
}
const all = rows.filter((r) => r.scope === 'all');
const sum = (k) => all.reduce((n, r) => n + r[k], 0);
const micro = { tp: sum('tp'), fp: sum('fp'), fn: sum('fn') };
const summary = {
  snippets: snippets.length,
  vulnerable: snippets.filter((s) => s.vulnerable).length,
  clean: snippets.filter((s) => !s.vulnerable).length,
  precision: micro.tp / (micro.tp + micro.fp),
  recall: micro.tp / (micro.tp + micro.fn),
  minPrecision: Math.min(...all.map((r) => r.precision)),
  minRecall: Math.min(...all.map((r) => r.recall)),
  seconds: (performance.now() - started) / 1000,
  isolated,
};

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ summary, rows, mistakes }, null, 2));
} else {
  const pct = (x) => x.toFixed(2);
  console.log(`detection benchmark: ${summary.snippets} snippets (${summary.vulnerable} vulnerable, ${summary.clean} clean) in TypeScript, JavaScript and Python, ${summary.seconds.toFixed(1)} s${isolated ? '' : ' (analysers not isolated)'}`);
  console.log('');
  console.log('| class | vulnerable snippets | precision | recall | precision js / ts / py | recall js / ts / py | third-party tools only: precision / recall |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of all) {
    const per = (k) => Object.keys(LANG).map((l) => { const x = rows.find((y) => y.category === r.category && y.scope === l); return x ? pct(x[k]) : '—'; }).join(' / ');
    console.log(`| ${r.category} | ${r.positives} | ${pct(r.precision)} | ${pct(r.recall)} | ${per('precision')} | ${per('recall')} | ${pct(r.thirdPartyPrecision)} / ${pct(r.thirdPartyRecall)} |`);
  }
  console.log(`| **all (micro)** | ${summary.vulnerable} | ${pct(summary.precision)} | ${pct(summary.recall)} | | | |`);
  console.log('');
  console.log(`targets: precision >= 0.9 and recall >= 0.9 per class: ${summary.minPrecision >= 0.9 && summary.minRecall >= 0.9 ? 'met' : 'NOT met'} (lowest precision ${pct(summary.minPrecision)}, lowest recall ${pct(summary.minRecall)})`);
  if (mistakes.length && (verbose || mistakes.length <= 20)) for (const m of mistakes) console.log(`  ${m}`);
}
