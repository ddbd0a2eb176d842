import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/* `patchbay analyze`: the analyze endpoint, run as a person would, with no bus. */

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '' };
const analyze = (args: string[], input?: string) => execa('node', [BIN, 'analyze', ...args], { env, reject: false, all: true, timeout: 60_000, ...(input !== undefined ? { input } : {}) });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchbay-analyze-e2e-'));
  await writeFile(join(dir, 'clean.py'), '"""Math."""\n\n\ndef add(a: int, b: int) -> int:\n    """Adds."""\n    return a + b\n');
  await writeFile(join(dir, 'app.js'), "const { exec } = require('child_process');\n/** Lists. */\nfunction list(req) {\n  exec('ls ' + req.query.dir);\n}\nmodule.exports = { list };\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('patchbay analyze', () => {
  it('passes clean code with exit 0 and prints all seven scores', async () => {
    const r = await analyze([join(dir, 'clean.py')]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('score 1.00 — passes');
    expect(r.all).toContain('readability 1.00, maintainability 1.00, correctness 1.00, performance 1.00, security 1.00, documentation 1.00, testing 1.00');
    expect(r.all).toContain('no findings');
  });

  it('finds a shell command built from a request, and exits 1', async () => {
    const r = await analyze([join(dir, 'app.js')]);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/4 {2}error {3}security +checklist\/security\/shell-command-from-input \[command-injection\]/);
    expect(r.all).toContain('security must not drop');
  });

  it('reads code from stdin with --lang, filters by analysis type, and prints JSON', async () => {
    const code = 'import hashlib\n\n\ndef digest(data: bytes) -> str:\n    """Digest."""\n    for _ in range(3):\n        print(data)\n    return hashlib.md5(data).hexdigest()\n';
    const r = await analyze(['-', '--lang', 'py', '--json', '--type', 'security'], code);
    expect(r.exitCode, r.all).toBe(1);
    const out = JSON.parse(r.stdout) as { findings: Array<{ analysis: string; category?: string; file: string }>; scores: Record<string, number>; analysers: Array<{ name: string; status: string }> };
    expect(out.findings.length).toBeGreaterThan(0);
    expect(out.findings.every((f) => f.analysis === 'security')).toBe(true);
    expect(out.findings.some((f) => f.category === 'weak-hash' && f.file === 'snippet.py')).toBe(true);
    expect(Object.keys(out.scores)).toHaveLength(7);
    expect(out.analysers.find((a) => a.name === 'bandit')?.status).toBe('ok');
    // The same code as quality: print in library code, no security findings.
    const quality = JSON.parse((await analyze(['-', '--lang', 'python', '--json', '--type', 'quality'], code)).stdout) as { findings: Array<{ rule: string }> };
    expect(quality.findings.map((f) => f.rule)).toContain('no-print');
  });

  it.each([
    [['-'], 'needs --lang'],
    [['-', '--lang', 'cobol'], '--lang cobol: no such language'],
    [['/no/such/path'], 'no such file or directory'],
    [['x.py', '--type', 'style'], '--type style is not an analysis type'],
    [['x.py', '--threshold', '2'], '--threshold 2 is not a number between 0 and 1'],
  ])('exits 2 on bad arguments: %j', async (args, message) => {
    const r = await analyze(args, '');
    expect(r.exitCode).toBe(2);
    expect(r.all).toContain(message);
  });
});
