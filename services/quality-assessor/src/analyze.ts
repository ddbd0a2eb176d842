import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import type { KeyValueCache } from '@patchbay/bus';
import { type QualityConfig, languageFingerprint } from '@patchbay/config';
import type { AnalyserRun, AnalysisType, Finding } from '@patchbay/contracts';
import { withSpan } from '@patchbay/telemetry';
import type { IsolationMode, SandboxResult } from '@patchbay/workspace';
import { runSandboxed } from '@patchbay/workspace';
import { type TouchedLines, isTouched } from './domain/diff.js';
import { type RawFinding, compareFindings, dedupeFindings } from './domain/findings.js';
import { languageOf } from './domain/languages.js';
import { analysisFor, classify } from './domain/rules.js';
import { eslintAnalyser } from './analysers/eslint.js';
import { banditAnalyser, pyCompileAnalyser, pyflakesAnalyser } from './analysers/python.js';
import { shellcheckAnalyser } from './analysers/shellcheck.js';
import { type TestRunReport, runTests } from './analysers/tests.js';
import { matchesAny, treeSitterAnalyser } from './analysers/tree-sitter.js';
import type { Analyser, AnalyserContext, SourceFile } from './analysers/types.js';
import { typescriptAnalyser } from './analysers/typescript.js';

export const ANALYSERS: readonly Analyser[] = [typescriptAnalyser, eslintAnalyser, treeSitterAnalyser, pyCompileAnalyser, pyflakesAnalyser, banditAnalyser, shellcheckAnalyser];

export interface SandboxSettings {
  env: Readonly<Record<string, string>>;
  isolation: IsolationMode;
  hide: readonly string[];
  maxOutputBytes: number;
}

export interface AnalyzeOptions {
  dir: string;
  config: QualityConfig;
  cache: KeyValueCache;
  sandbox: SandboxSettings;
  /** A directory for HOME/TMPDIR of sandboxed commands and the reports they write. */
  scratch: string;
  /** Lines the candidate diff touched; absent: every line counts (`patchbay analyze`). */
  touched?: TouchedLines;
  /** Only these files (repository paths); default: the touched ones, else every file of a known language. */
  files?: readonly string[];
  /** The language of files whose name does not tell (code read from stdin). */
  language?: string;
  testCommand?: string | undefined;
  testTimeoutMs?: number;
  redact?: (text: string) => string;
  signal?: AbortSignal;
}

export interface AnalysisReport {
  findings: Finding[];
  analysers: AnalyserRun[];
  notices: string[];
  tests: TestRunReport | null;
  /** Whether every sandboxed command ran isolated. */
  isolated: boolean;
  files: number;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const gitBlob = (content: Buffer) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
const SKIP_DIRS = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', 'dist', 'build', 'target', 'vendor', '.tox', '.mypy_cache']);

/** Every file of the tree with its git blob id: from the index when it is a git worktree, else hashed. */
async function listBlobs(dir: string): Promise<Map<string, string>> {
  const blobs = new Map<string, string>();
  const ls = await execa('git', ['ls-files', '-s', '-z'], { cwd: dir, reject: false });
  if (ls.exitCode === 0 && ls.stdout.length > 0) {
    for (const entry of ls.stdout.split('\0')) {
      const m = /^\d+ ([0-9a-f]+) \d+\t(.+)$/.exec(entry);
      if (m?.[1] && m[2]) blobs.set(m[2], m[1]);
    }
    return blobs;
  }
  const walk = async (at: string): Promise<void> => {
    if (blobs.size >= 20_000) return;
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const abs = join(at, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await walk(abs);
      } else if (entry.isFile()) {
        const info = await stat(abs);
        if (info.size <= 2_000_000) blobs.set(relative(dir, abs).split('\\').join('/'), gitBlob(await readFile(abs)));
      }
    }
  };
  const info = await stat(dir);
  if (info.isDirectory()) await walk(dir);
  return blobs;
}

async function limited<T>(limit: number, jobs: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

const SYNTAX_RULES = /^(?:syntax-error|syntax|parse-error|TS1\d{3})$/;

/**
 * Runs every analyser that applies, in parallel and through the cache, plus the test
 * command; classifies what they find into the seven dimensions and marks what lies on
 * lines the diff touched.
 */
export async function analyzeTree(options: AnalyzeOptions): Promise<AnalysisReport> {
  const { config, dir } = options;
  const blobs = await listBlobs(dir);
  await mkdir(join(options.scratch, 'tmp'), { recursive: true });
  const settings = (language: string) => config.languages[language];
  const notices: string[] = [];
  let isolated = true;
  const notIsolated = new Set<string>();

  const sandboxRun = (command: string, timeoutMs: number, readOnly?: readonly string[]): Promise<SandboxResult> =>
    runSandboxed({
      command,
      cwd: dir,
      timeoutMs,
      maxOutputBytes: options.sandbox.maxOutputBytes,
      env: options.sandbox.env,
      scratchDir: options.scratch,
      isolation: options.sandbox.isolation,
      hide: options.sandbox.hide,
      // Analysers only read; tests may write their worktree (snapshots, caches).
      writableCwd: options.touched !== undefined,
      ...(readOnly ? { readOnly } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }).then((r) => {
      if (!r.isolated) {
        isolated = false;
        if (r.notice) notIsolated.add(r.notice);
      }
      return r;
    });

  const ctx: AnalyserContext = {
    dir,
    config,
    settings,
    sandbox: (command, o) => sandboxRun(command, o?.timeoutMs ?? config.analysers.timeoutMs, o?.readOnly),
    scratch: `${options.scratch}/tmp`,
    path: options.sandbox.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    blobs,
    ...(options.signal ? { signal: options.signal } : {}),
  };

  // Which files: the ones the diff created or changed, else all of a known language.
  const wanted = options.files ?? (options.touched ? [...options.touched.values()].filter((c) => c.status !== 'deleted').map((c) => c.path) : [...blobs.keys()]);
  const files: SourceFile[] = [];
  for (const path of wanted) {
    if (files.length >= config.analysers.maxFiles) {
      notices.push(`only the first ${config.analysers.maxFiles} files were analysed`);
      break;
    }
    const abs = join(dir, path);
    let content: Buffer;
    try {
      content = await readFile(abs);
    } catch {
      continue;
    }
    if (content.length > 1_000_000 || content.includes(0)) continue;
    const text = content.toString('utf8');
    const language = options.language ?? languageOf(path, config.languages, text.slice(0, 200).split('\n')[0]);
    if (!language) continue;
    files.push({ path, abs, language, content: text, blob: blobs.get(path) ?? gitBlob(content) });
  }

  const jobs = ANALYSERS.map((analyser) => async (): Promise<{ run: AnalyserRun; findings: RawFinding[] }> => {
    const mine = files.filter((f) => analyser.languages.includes(f.language));
    const started = performance.now();
    const runOf = (status: AnalyserRun['status'], extra: Partial<AnalyserRun> = {}): AnalyserRun => ({
      name: analyser.name,
      status,
      files: mine.length,
      findings: 0,
      cached: 0,
      durationMs: Math.round(performance.now() - started),
      ...extra,
    });
    if (mine.length === 0) return { run: runOf('skipped'), findings: [] };
    const probe = await analyser.probe(ctx);
    if ('missing' in probe) {
      notices.push(`${analyser.name} did not run: ${probe.missing}`);
      return { run: runOf('missing', { note: probe.missing }), findings: [] };
    }
    const fingerprint = analyser.fingerprint?.(ctx) ?? '';
    const keyOf = (f: SourceFile) => `${analyser.name}.${sha([analyser.name, probe.version, fingerprint, languageFingerprint(settings(f.language)), f.path, f.blob].join('\0'))}`;
    try {
      if (analyser.scope === 'tree') {
        const key = `${analyser.name}.${sha([analyser.name, probe.version, fingerprint, ...mine.map((f) => `${f.path}:${f.blob}:${languageFingerprint(settings(f.language))}`)].join('\0'))}`;
        const hit = config.analysers.cache ? ((await options.cache.get(key)) as RawFinding[] | undefined) : undefined;
        if (Array.isArray(hit)) return { run: runOf('ok', { version: probe.version, findings: hit.length, cached: mine.length }), findings: hit };
        const result = await analyser.run(mine, ctx);
        if (config.analysers.cache && !result.failed) await options.cache.set(key, result.findings);
        return { run: runOf(result.failed ? 'failed' : 'ok', { version: probe.version, findings: result.findings.length, ...(result.note ? { note: result.note.slice(0, 500) } : {}) }), findings: result.findings };
      }
      const findings: RawFinding[] = [];
      const misses: SourceFile[] = [];
      let cached = 0;
      // One round trip per file, all at once: a cached re-assessment is bound by these reads.
      const hits = config.analysers.cache ? await Promise.all(mine.map((f) => options.cache.get(keyOf(f)))) : [];
      mine.forEach((f, i) => {
        const hit = hits[i];
        if (Array.isArray(hit)) {
          findings.push(...(hit as RawFinding[]));
          cached += 1;
        } else misses.push(f);
      });
      let note: string | undefined;
      let failed = false;
      if (misses.length > 0) {
        const result = await withSpan('quality.analyser', { 'analyser.name': analyser.name, 'analyser.files': misses.length }, () => analyser.run(misses, ctx));
        note = result.note;
        failed = result.failed ?? false;
        findings.push(...result.findings);
        if (config.analysers.cache && !failed) {
          await Promise.all(misses.map((f) => options.cache.set(keyOf(f), result.findings.filter((x) => x.file === f.path))));
        }
      }
      return { run: runOf(failed ? 'failed' : 'ok', { version: probe.version, findings: findings.length, cached, ...(note ? { note: note.slice(0, 500) } : {}) }), findings };
    } catch (err) {
      const why = (err as Error).message.split('\n')[0]?.slice(0, 300) ?? 'failed';
      notices.push(`${analyser.name} failed: ${why}`);
      return { run: runOf('failed', { version: probe.version, note: why }), findings: [] };
    }
  });

  const testJob = async (): Promise<TestRunReport | null> => {
    if (!options.testCommand) return null;
    const command = options.testCommand;
    const tree = await execa('git', ['write-tree'], { cwd: dir, reject: false });
    const key = tree.exitCode === 0 ? `tests.${sha(['tests', command, tree.stdout.trim(), String(config.analysers.junit)].join('\0'))}` : undefined;
    if (key && config.analysers.cacheTests) {
      const hit = (await options.cache.get(key)) as TestRunReport | undefined;
      if (hit && typeof hit === 'object' && 'command' in hit) {
        if (!hit.isolated) {
          isolated = false;
          if (hit.notice) notIsolated.add(hit.notice);
        }
        return { ...hit, durationMs: hit.durationMs };
      }
    }
    const report = await withSpan('tests.run', { 'test.command': command }, () =>
      runTests({
        command,
        dir,
        scratch: options.scratch,
        junit: config.analysers.junit,
        run: (c) => sandboxRun(c, options.testTimeoutMs ?? 300_000),
        redact: options.redact ?? ((t) => t),
      }),
    );
    // A timed-out or cancelled run says nothing reliable about the tree: never cache it.
    if (key && config.analysers.cacheTests && !report.timedOut && !options.signal?.aborted) await options.cache.set(key, report);
    return report;
  };

  const testRun = testJob();
  const results = await limited(config.analysers.parallelism, jobs);
  const tests = await testRun;
  const raw: RawFinding[] = results.flatMap((r) => r.findings);

  if (options.touched) raw.push(...(await coverageFindings(options.touched, files, blobs, dir, config, options.testCommand)));

  const findings: Finding[] = [];
  for (const f of dedupeFindings(raw)) {
    const cls = classify(f);
    const language = files.find((x) => x.path === f.file)?.language;
    const level = language ? (settings(language)?.rules[f.rule] ?? settings(language)?.rules[`${f.tool}/${f.rule}`]) : undefined;
    if (level === 'off') continue;
    const dimension = f.dimension ?? cls.dimension;
    const severity = level ?? cls.severity ?? f.severity;
    const category = f.category ?? cls.category;
    const changed = options.touched?.get(f.file);
    const touched = !options.touched
      ? true
      : f.file === ''
        ? true
        : SYNTAX_RULES.test(f.rule) && changed !== undefined && changed.status !== 'deleted'
          ? true // a parser reports where it gave up, not where the mistake is
          : isTouched(options.touched, f.file, f.line);
    findings.push({
      tool: f.tool,
      rule: f.rule.slice(0, 160),
      dimension,
      analysis: f.analysis ?? cls.analysis ?? analysisFor(dimension),
      severity,
      file: f.file.slice(0, 500),
      line: Math.max(0, f.line),
      ...(f.column !== undefined ? { column: Math.max(0, f.column) } : {}),
      message: f.message.slice(0, 500),
      touched,
      ...(category ? { category } : {}),
    });
  }
  findings.sort(compareFindings);
  notices.push(...notIsolated);
  return { findings, analysers: results.map((r) => r.run), notices: [...new Set(notices)], tests, isolated, files: files.length };
}

/**
 * Testing findings of the attempt: no test command at all, or a changed source file that
 * no changed test and no existing test file refers to.
 */
async function coverageFindings(
  touched: TouchedLines,
  files: readonly SourceFile[],
  blobs: ReadonlyMap<string, string>,
  dir: string,
  config: QualityConfig,
  testCommand: string | undefined,
): Promise<RawFinding[]> {
  const out: RawFinding[] = [];
  if (!testCommand) {
    out.push({ tool: 'tests', rule: 'no-test-command', severity: 'warning', file: '', line: 0, message: 'no test command was found: nothing checked that the change works', dimension: 'testing' });
    return out;
  }
  const isTest = (path: string, language: string | undefined) => matchesAny(path, config.languages[language ?? '']?.testFiles ?? []) || /(?:^|\/)(?:tests?|__tests__|spec)\//.test(path) || /[._-](?:test|spec)\.\w+$|(?:^|\/)test_[^/]+\.py$/.test(path);
  const changed = files.filter((f) => touched.get(f.path)?.status !== 'deleted');
  if (changed.some((f) => isTest(f.path, f.language))) return out;
  const sources = changed.filter((f) => !isTest(f.path, f.language) && f.language !== 'shell');
  if (sources.length === 0) return out;
  const testFiles = [...blobs.keys()].filter((p) => isTest(p, languageOf(p, config.languages))).slice(0, 300);
  const texts = await Promise.all(testFiles.map((p) => readFile(join(dir, p), 'utf8').catch(() => '')));
  for (const src of sources) {
    const stem = src.path.split('/').pop()?.replace(/\.[^.]+$/, '') ?? '';
    if (stem === '' || stem === 'index' || stem === '__init__') continue;
    const mentioned = new RegExp(`(?:from|import|require)[^\\n]*\\b${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
    if (!texts.some((t) => mentioned.test(t))) {
      out.push({ tool: 'tests', rule: 'untested-change', severity: 'warning', file: src.path, line: 0, message: `no test imports ${src.path} and the change adds none: add or extend a test for it`, dimension: 'testing' });
    }
  }
  return out;
}
