import type { RawFinding } from '../domain/findings.js';
import { toolVersion } from './probe.js';
import { type Analyser, shellQuote } from './types.js';

interface Comment {
  file: string;
  line: number;
  column: number;
  level: 'error' | 'warning' | 'info' | 'style';
  code: number;
  message: string;
}

export const shellcheckAnalyser: Analyser = {
  name: 'shellcheck',
  languages: ['shell'],
  scope: 'file',
  async probe(ctx) {
    const version = await toolVersion('shellcheck', ['--version'], ctx.path, /version: (\S+)/);
    return version ? { version: `shellcheck ${version}` } : { missing: 'shellcheck is not installed (Debian: apt-get install shellcheck)' };
  },
  async run(files, ctx) {
    const result = await ctx.sandbox(`shellcheck -f json1 ${files.map((f) => shellQuote(f.path)).join(' ')}`);
    const start = result.output.indexOf('{');
    if (start < 0) return { findings: [], failed: result.exitCode !== 0, note: result.output.trim().slice(0, 200) };
    let comments: Comment[];
    try {
      comments = (JSON.parse(result.output.slice(start)) as { comments: Comment[] }).comments;
    } catch {
      return { findings: [], failed: true, note: 'shellcheck output could not be read' };
    }
    const findings: RawFinding[] = comments.map((c) => ({
      tool: 'shellcheck',
      rule: `SC${c.code}`,
      severity: c.level === 'error' ? 'error' : c.level === 'warning' ? 'warning' : 'info',
      file: c.file.replace(/^\.\//, ''),
      line: c.line,
      column: c.column,
      message: c.message.slice(0, 300),
    }));
    return { findings };
  },
};
