import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RawFinding } from '../domain/findings.js';
import { firstAvailable, toolVersion } from './probe.js';
import { type Analyser, type AnalyserContext, type SourceFile, shellQuote } from './types.js';

const INSTALL = 'Debian: apt-get install python3-pyflakes bandit';

/** Compiles each file with the py_compile module, in one interpreter, reporting every file's first error. */
const PY_COMPILE = `
import json, os, py_compile, sys, tempfile
out = os.path.join(tempfile.gettempdir(), "patchbay-py-compile.pyc")
for path in sys.argv[1:]:
    try:
        py_compile.compile(path, cfile=out, doraise=True)
    except py_compile.PyCompileError as e:
        err = e.exc_value
        print(json.dumps({"file": path, "line": getattr(err, "lineno", 0) or 0, "msg": f"{e.exc_type_name}: {getattr(err, 'msg', str(err))}"}))
`;

export const pyCompileAnalyser: Analyser = {
  name: 'py_compile',
  languages: ['python'],
  scope: 'file',
  async probe(ctx) {
    const version = await toolVersion('python3', ['--version'], ctx.path);
    return version ? { version: `python ${version}` } : { missing: 'python3 is not installed' };
  },
  async run(files, ctx) {
    const script = join(ctx.scratch, 'py_compile_all.py');
    await writeFile(script, PY_COMPILE);
    try {
      const result = await ctx.sandbox(`python3 ${shellQuote(script)} ${files.map((f) => shellQuote(f.path)).join(' ')}`);
      const findings: RawFinding[] = [];
      for (const line of result.output.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const r = JSON.parse(line) as { file: string; line: number; msg: string };
          findings.push({ tool: 'py_compile', rule: 'syntax-error', severity: 'error', file: r.file.replace(/^\.\//, ''), line: r.line, message: r.msg.slice(0, 300) });
        } catch {
          // a line that only looked like JSON
        }
      }
      return { findings, ...(result.timedOut ? { failed: true, note: 'timed out' } : {}) };
    } finally {
      await rm(script, { force: true });
    }
  },
};

const PYFLAKES_KINDS: ReadonlyArray<[RegExp, string]> = [
  [/imported but unused/, 'unused-import'],
  [/undefined name/, 'undefined-name'],
  [/assigned to but never used/, 'unused-variable'],
  [/redefinition of unused/, 'redefinition'],
  [/import \*|unable to detect undefined names/, 'import-star'],
  [/invalid syntax|unexpected indent|expected|unterminated|SyntaxError/i, 'syntax'],
];

export const pyflakesAnalyser: Analyser = {
  name: 'pyflakes',
  languages: ['python'],
  scope: 'file',
  async probe(ctx) {
    const found = await pyflakesCommand(ctx);
    return found ? { version: `pyflakes ${found.version}` } : { missing: `pyflakes is not installed (${INSTALL})` };
  },
  async run(files, ctx) {
    const found = await pyflakesCommand(ctx);
    if (!found) return { findings: [], failed: true };
    const result = await ctx.sandbox(`${found.run} ${files.map((f) => shellQuote(f.path)).join(' ')}`);
    const findings: RawFinding[] = [];
    for (const line of result.output.split('\n')) {
      const m = /^(.+?):(\d+):(?:(\d+):)? (.+)$/.exec(line);
      if (!m) continue;
      const message = m[4] ?? '';
      const kind = PYFLAKES_KINDS.find(([re]) => re.test(message))?.[1] ?? 'other';
      findings.push({
        tool: 'pyflakes',
        rule: kind,
        severity: kind === 'undefined-name' || kind === 'syntax' ? 'error' : 'warning',
        file: (m[1] ?? '').replace(/^\.\//, ''),
        line: Number.parseInt(m[2] ?? '0', 10),
        ...(m[3] ? { column: Number.parseInt(m[3], 10) } : {}),
        message: message.slice(0, 300),
      });
    }
    return { findings };
  },
};

function pyflakesCommand(ctx: AnalyserContext) {
  return firstAvailable(
    [
      { file: 'pyflakes3', args: ['--version'], run: 'pyflakes3' },
      { file: 'pyflakes', args: ['--version'], run: 'pyflakes' },
      { file: 'python3', args: ['-m', 'pyflakes', '--version'], run: 'python3 -m pyflakes' },
      // The Debian package installs the module for the system interpreter, which a pyenv shim may hide.
      { file: '/usr/bin/python3', args: ['-m', 'pyflakes', '--version'], run: '/usr/bin/python3 -m pyflakes' },
    ],
    ctx.path,
  );
}

interface BanditResult {
  filename: string;
  line_number: number;
  col_offset?: number;
  test_id: string;
  test_name: string;
  issue_severity: 'LOW' | 'MEDIUM' | 'HIGH' | 'UNDEFINED';
  issue_confidence: string;
  issue_text: string;
}

const SEVERITY = { HIGH: 'error', MEDIUM: 'warning', LOW: 'info', UNDEFINED: 'info' } as const;

export const banditAnalyser: Analyser = {
  name: 'bandit',
  languages: ['python'],
  scope: 'file',
  async probe(ctx) {
    const version = await toolVersion('bandit', ['--version'], ctx.path);
    return version ? { version: `bandit ${version}` } : { missing: `bandit is not installed (${INSTALL})` };
  },
  async run(files: readonly SourceFile[], ctx: AnalyserContext) {
    const report = join(ctx.scratch, 'bandit.json');
    await rm(report, { force: true });
    const result = await ctx.sandbox(`bandit -q -f json -o ${shellQuote(report)} ${files.map((f) => shellQuote(f.path)).join(' ')}`);
    let parsed: { results?: BanditResult[]; errors?: Array<{ filename: string; reason: string }> };
    try {
      parsed = JSON.parse(await readFile(report, 'utf8')) as typeof parsed;
    } catch {
      return { findings: [], failed: true, note: `bandit gave no report (exit ${String(result.exitCode)}): ${result.output.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? ''}` };
    } finally {
      await rm(report, { force: true });
    }
    const findings: RawFinding[] = (parsed.results ?? []).map((r) => ({
      tool: 'bandit',
      rule: r.test_id,
      severity: SEVERITY[r.issue_severity] ?? 'info',
      file: r.filename.replace(/^\.\//, ''),
      line: r.line_number,
      ...(r.col_offset !== undefined ? { column: r.col_offset + 1 } : {}),
      message: `${r.issue_text} (${r.test_name}, confidence ${r.issue_confidence.toLowerCase()})`.slice(0, 400),
    }));
    return { findings };
  },
};
