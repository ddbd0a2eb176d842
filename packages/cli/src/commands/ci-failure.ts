import { readFileSync } from 'node:fs';
import { reportCiFailure } from '@patchbay/bus';
import type { CiFailure } from '@patchbay/contracts';
import { configFor, withBus } from '../connect.js';
import { EXIT, UsageError, out } from '../output.js';
import { exitCodeFor, parseNumber, resolveRepo, submitAndFollow } from './run.js';

export interface CiFailureFlags {
  repo?: string;
  ref?: string;
  pipeline?: string;
  job?: string;
  runUrl?: string;
  testCommand?: string;
  failingTest?: string[];
  logFile?: string;
  follow?: boolean;
  timeout?: string;
}

const LOG_LIMIT = 60_000;

/** What a CI pipeline runs after a red build: reports the failure; patchbay opens a bug-fix task. */
export async function ciFailureCommand(flags: CiFailureFlags): Promise<number> {
  let log: string | undefined;
  if (flags.logFile !== undefined) {
    try {
      log = readFileSync(flags.logFile === '-' ? 0 : flags.logFile, 'utf8').slice(-LOG_LIMIT);
    } catch {
      throw new UsageError(`--log-file ${flags.logFile}: cannot read it`);
    }
  }
  const failure: CiFailure = {
    repo: resolveRepo(flags.repo, flags.ref),
    ...(flags.pipeline ? { pipeline: flags.pipeline } : {}),
    ...(flags.job ? { job: flags.job } : {}),
    ...(flags.runUrl ? { runUrl: flags.runUrl } : {}),
    ...(flags.testCommand ? { testCommand: flags.testCommand } : {}),
    ...(flags.failingTest?.length ? { failingTests: flags.failingTest } : {}),
    ...(log ? { log } : {}),
  };
  const timeoutMs = (parseNumber('--timeout', flags.timeout, 1, 7 * 24 * 3600, false) ?? 1_800) * 1_000;
  return withBus(configFor(), async (bus) => {
    if (!flags.follow) {
      out(await reportCiFailure(bus, failure, { source: 'patchbay/cli' }));
      return EXIT.ok;
    }
    const result = await submitAndFollow(bus, () => reportCiFailure(bus, failure, { source: 'patchbay/cli' }), { timeoutMs, print: out });
    if (result.report) out(`\n${result.report.trimEnd()}`);
    return exitCodeFor(result.terminal);
  });
}
