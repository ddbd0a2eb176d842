import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { memoryCache } from '@patchbay/bus';
import { type QualityConfig, loadQualityConfig, withRepositoryOverride } from '@patchbay/config';
import { ANALYSIS_TYPES, type AnalyserRun, type AnalysisType, type Finding } from '@patchbay/contracts';
import { analyzeTree, scoreAttempt } from '@patchbay/quality-assessor';
import { redactSecrets } from '@patchbay/secrets';
import { configFor } from '../connect.js';
import { EXIT, UsageError, out } from '../output.js';

export interface AnalyzeFlags {
  lang?: string;
  json?: boolean;
  type?: string;
  threshold?: string;
}

const ALIASES: Readonly<Record<string, string>> = { ts: 'typescript', js: 'javascript', py: 'python', sh: 'shell', bash: 'shell', golang: 'go', rs: 'rust', rb: 'ruby' };

function parseTypes(value: string | undefined): AnalysisType[] | undefined {
  if (value === undefined) return undefined;
  const types = value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  for (const t of types) if (!(ANALYSIS_TYPES as readonly string[]).includes(t)) throw new UsageError(`--type ${t} is not an analysis type; use ${ANALYSIS_TYPES.join(', ')}`);
  return types as AnalysisType[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `patchbay analyze <path|-> [--lang L] [--type T] [--json]`: the analyze endpoint, locally.
 * Every line counts (there is no diff); no tests run. Exit 0 when the code reaches the
 * threshold and minimums, 1 when it does not, 2 on bad arguments.
 */
export async function analyzeCommand(target: string, flags: AnalyzeFlags): Promise<number> {
  const settings = configFor();
  let quality: QualityConfig = loadQualityConfig(settings.quality.configDir);
  const language = flags.lang === undefined ? undefined : (ALIASES[flags.lang.toLowerCase()] ?? flags.lang.toLowerCase());
  if (language !== undefined && !quality.languages[language]) {
    throw new UsageError(`--lang ${flags.lang}: no such language; configured: ${Object.keys(quality.languages).sort().join(', ')}`);
  }
  const types = parseTypes(flags.type);
  const threshold = flags.threshold === undefined ? undefined : Number(flags.threshold);
  if (threshold !== undefined && (!Number.isFinite(threshold) || threshold < 0 || threshold > 1)) throw new UsageError(`--threshold ${flags.threshold} is not a number between 0 and 1`);

  const scratch = await mkdtemp(join(tmpdir(), 'patchbay-analyze-'));
  try {
    let dir: string;
    let files: string[] | undefined;
    let shown: string;
    if (target === '-') {
      if (!language) throw new UsageError('reading code from stdin (-) needs --lang, e.g. --lang python');
      const code = await readStdin();
      if (code.trim() === '') throw new UsageError('nothing on stdin to analyse');
      dir = join(scratch, 'code');
      const name = `snippet${quality.languages[language]?.extensions[0] ?? ''}`;
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, name), code);
      files = [name];
      shown = '(stdin)';
    } else {
      const path = resolve(target);
      const info = await stat(path).catch(() => undefined);
      if (!info) throw new UsageError(`${target}: no such file or directory`);
      if (info.isDirectory()) {
        dir = path;
        const own = await readFile(join(dir, '.patchbay', 'agent_config.yaml'), 'utf8').catch(() => undefined);
        if (own !== undefined) quality = withRepositoryOverride(quality, own).config;
      } else {
        dir = dirname(path);
        files = [basename(path)];
      }
      shown = target;
    }
    const report = await analyzeTree({
      dir,
      config: quality,
      cache: memoryCache(),
      sandbox: { env: settings.sandboxEnv, isolation: settings.sandbox.isolation, hide: settings.sandboxHide, maxOutputBytes: settings.assessor.outputLimitBytes },
      scratch: join(scratch, 'sandbox'),
      ...(files ? { files } : {}),
      ...(language ? { language } : {}),
      redact: (t) => redactSecrets(t, { knownSecrets: settings.knownSecrets }),
    });
    const findings = types ? report.findings.filter((f) => types.includes(f.analysis)) : report.findings;
    const scored = scoreAttempt(null, findings, quality.quality, threshold ?? quality.quality.threshold);
    if (flags.json) {
      out(JSON.stringify({ target: shown, passed: scored.passed, score: scored.score, threshold: threshold ?? quality.quality.threshold, scores: scored.scores, reasons: scored.reasons, findings, analysers: report.analysers, notices: report.notices, isolated: report.isolated, files: report.files }, null, 2));
    } else {
      printReport(shown, scored, findings, report.analysers, report.notices, report.files);
    }
    if (report.files === 0) return EXIT.failed;
    return scored.passed ? EXIT.ok : EXIT.failed;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function printReport(
  target: string,
  scored: ReturnType<typeof scoreAttempt>,
  findings: readonly Finding[],
  analysers: readonly AnalyserRun[],
  notices: readonly string[],
  files: number,
): void {
  out(`patchbay analyze ${target}: ${files} file${files === 1 ? '' : 's'}`);
  if (files === 0) {
    out('  no file in a language patchbay knows (see config/language_configs/)');
    return;
  }
  out(`score ${scored.score.toFixed(2)} — ${scored.passed ? 'passes' : 'does not pass'}`);
  out(`  ${Object.entries(scored.scores).map(([d, v]) => `${d} ${v.toFixed(2)}`).join(', ')}`);
  for (const r of scored.reasons) out(`  ✗ ${r}`);
  out('');
  if (findings.length === 0) out('no findings');
  let file = '';
  for (const f of findings) {
    if (f.file !== file) {
      file = f.file;
      out(file || '(repository)');
    }
    out(`  ${String(f.line).padStart(4)}  ${f.severity.padEnd(7)} ${f.dimension.padEnd(15)} ${f.tool}/${f.rule}${f.category ? ` [${f.category}]` : ''}: ${f.message}`);
  }
  out('');
  out(`analysers: ${analysers.filter((a) => a.status !== 'skipped').map((a) => `${a.name} ${a.status}${a.note ? ` (${a.note})` : ''}`).join('; ')}`);
  for (const n of notices) out(`note: ${n}`);
}
