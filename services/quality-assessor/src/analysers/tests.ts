import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { extractFailures, summarizeTestOutput } from '@patchbay/test-output';
import type { SandboxResult } from '@patchbay/workspace';
import { type TestResults, parseGoTestJson, parseJunit } from '../domain/junit.js';
import { planJunit } from '../domain/test-command.js';

export interface TestRunReport {
  command: string;
  /** The command as run, with JUnit flags when the runner takes them. */
  ran: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  passed?: number;
  failed?: number;
  failingTests: string[];
  output: string;
  /** Where the results came from. */
  source: 'junit' | 'go-json' | 'output';
  isolated: boolean;
  notice?: string;
  failures: Array<{ name: string; message: string; location?: { file: string; line: number } }>;
}

/**
 * Runs the repository's test command in the sandbox, asking the runner for JUnit XML when
 * it can write it (node --test, vitest, pytest; go test's JSON through our converter) and
 * reading results from the exit code and output otherwise.
 */
export async function runTests(options: {
  command: string;
  dir: string;
  scratch: string;
  junit: boolean;
  run: (command: string) => Promise<SandboxResult>;
  redact: (text: string) => string;
}): Promise<TestRunReport> {
  let scripts: Record<string, string> = {};
  try {
    scripts = (JSON.parse(await readFile(join(options.dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  } catch {
    // not a Node project
  }
  const junitPath = join(options.scratch, 'tmp', 'patchbay-junit.xml');
  const plan = options.junit ? planJunit(options.command, junitPath, scripts) : null;
  let ran = plan?.command ?? options.command;
  let result = await options.run(ran);
  if (plan && result.exitCode !== 0 && /bad option|unknown option|unrecognized arguments|Unknown argument|no such option/i.test(result.output)) {
    // An older runner that does not take the flags: run the command as it was.
    ran = options.command;
    result = await options.run(ran);
  }
  const output = options.redact(result.output);
  let parsed: TestResults | null = null;
  let source: TestRunReport['source'] = 'output';
  if (ran !== options.command && plan?.format === 'junit' && plan.junit) {
    parsed = parseJunit(await readFile(plan.junit, 'utf8').catch(() => ''), [options.dir]);
    if (parsed) source = 'junit';
    await rm(plan.junit, { force: true });
  } else if (ran !== options.command && plan?.format === 'go-json') {
    parsed = parseGoTestJson(output);
    if (parsed) source = 'go-json';
  }
  const base = {
    command: options.command,
    ran,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    output,
    isolated: result.isolated,
    ...(result.notice ? { notice: result.notice } : {}),
  };
  if (parsed && parsed.total > 0) {
    return {
      ...base,
      passed: parsed.passed,
      failed: parsed.failed,
      failingTests: [...new Set(parsed.failures.map((f) => f.name))].slice(0, 200),
      source,
      failures: parsed.failures.slice(0, 50),
    };
  }
  const summary = summarizeTestOutput(output);
  return {
    ...base,
    ...(summary.passed !== undefined ? { passed: summary.passed } : {}),
    ...(summary.failed !== undefined ? { failed: summary.failed } : {}),
    failingTests: summary.failingTests,
    source: 'output',
    failures: extractFailures(output, [options.dir]).map((f) => ({ name: f.test ?? '', message: f.message, ...(f.location ? { location: { file: f.location.file, line: f.location.line } } : {}) })),
  };
}
