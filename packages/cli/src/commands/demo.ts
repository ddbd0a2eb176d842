import { cp, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { submitTask } from '@patchbay/bus';
import type { Config } from '@patchbay/config';
import { eventTypes } from '@patchbay/contracts';
import { createProvider } from '@patchbay/llm';
import { type RunningService, startServices } from '@patchbay/runtime';
import { createLogger } from '@patchbay/telemetry';
import { configFor } from '../connect.js';
import { EXIT, out } from '../output.js';
import { NO_NATS_HELP, findNats } from '../nats-discovery.js';
import { ALL_SERVICES } from '../services.js';
import { exitCodeFor, submitAndFollow } from './run.js';

const EXAMPLES = new URL('../../../../examples/', import.meta.url);
const DEMO_REPO = fileURLToPath(new URL('demo-repo/', EXAMPLES));
const DEMO_REPLAY = fileURLToPath(new URL('demo-repo.replay.json', EXAMPLES));
const DEMO_TITLE = 'Fix the failing median tests in src/stats.js';

async function git(cwd: string, ...args: string[]): Promise<string> {
  const identity = ['-c', 'user.name=patchbay demo', '-c', 'user.email=demo@patchbay.local', '-c', 'commit.gpgsign=false'];
  return (await execa('git', [...identity, ...args], { cwd })).stdout;
}

/** The bundled example repository, copied into a fresh git repository with one commit. */
async function prepareRepo(root: string): Promise<string> {
  const dir = join(root, 'stats-demo');
  await cp(DEMO_REPO, dir, { recursive: true });
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'stats-demo: mean and median (median is buggy)');
  return dir;
}

/** A live model when the configured endpoint answers with it; the bundled replay otherwise, said plainly. */
async function chooseModel(config: Config): Promise<Config> {
  if (config.llm.provider !== 'replay') {
    const provider = await createProvider({ ...config.llm, timeoutMs: 5_000 });
    const probe = await provider.available();
    if (probe.ok) {
      out(`model: ${config.llm.model} via ${config.llm.provider === 'ollama' ? 'Ollama' : 'an OpenAI-compatible endpoint'} at ${provider.endpoint}`);
      return config;
    }
    out(`model: ${probe.reason}.`);
  }
  out(`model: using the bundled REPLAY model (${DEMO_REPLAY}) — recorded answers, NOT a live LLM.`);
  out('       Set OLLAMA_HOST and PATCHBAY_MODEL to a running Ollama (or PATCHBAY_LLM_PROVIDER=openai and PATCHBAY_OPENAI_BASE_URL) to see a real model at work.');
  return { ...config, llm: { ...config.llm, provider: 'replay', replayFile: DEMO_REPLAY } };
}

/** `npm run demo`: the whole pipeline on a bundled repository with a failing test. */
export async function demoCommand(pathEnv: string): Promise<number> {
  const base = configFor();
  const root = await mkdtemp(join(tmpdir(), 'patchbay-demo-'));
  out('patchbay demo');
  const nats = await findNats(base.nats.url, pathEnv, out);
  if (!nats) {
    out(NO_NATS_HELP);
    await rm(root, { recursive: true, force: true });
    return EXIT.failed;
  }
  out(`NATS:  ${nats.how} (server ${nats.bus.serverVersion})`);
  const config = await chooseModel({ ...base, nats: { ...base.nats, url: nats.url }, workdir: join(root, 'work') });
  const logPath = join(root, 'services.log');
  const logFile = await open(logPath, 'a');
  let services: RunningService[] = [];
  try {
    const destination = { write: (line: string) => void logFile.write(line) };
    services = await startServices(ALL_SERVICES, {
      config,
      log: createLogger({ service: 'patchbay-demo', level: 'info', knownSecrets: config.knownSecrets, destination }),
    });
    out(`services: ${services.map((s) => s.name).join(', ')} (logs: ${logPath})`);
    for (const s of services) out(`  ${s.name.padEnd(20)} ${s.metricsUrl}`);
    const repo = await prepareRepo(root);
    out(`repository: ${repo} (a copy of examples/demo-repo; its median() fails 2 of 5 tests)`);
    out('');
    const result = await submitAndFollow(
      nats.bus,
      async () => {
        const id = await submitTask(nats.bus, { title: DEMO_TITLE, repo: { url: repo } }, { source: 'patchbay/demo' });
        out(`task ${id}: "${DEMO_TITLE}"`);
        return id;
      },
      { timeoutMs: 10 * 60_000, print: out },
    );
    if (result.report) out(`\n${result.report.trimEnd()}\n`);
    if (result.terminal?.type === eventTypes.taskCompleted) {
      const { branch } = result.terminal.data;
      const check = join(root, 'verify');
      await execa('git', ['clone', '-q', '--branch', branch, repo, check]);
      const tests = await execa('npm', ['test', '--silent'], { cwd: check, reject: false, all: true });
      out(`verified: npm test on a fresh clone of ${branch} exits ${String(tests.exitCode)}${tests.exitCode === 0 ? ' (all tests pass)' : ''}`);
      out(`see it:   git -C ${repo} log --stat ${branch}`);
      out(`          git -C ${repo} diff main ${branch}`);
      if (tests.exitCode !== 0) return EXIT.failed;
    }
    return exitCodeFor(result.terminal);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await nats.bus.drain();
    await nats.local?.stop();
    await logFile.close();
    // Keep the repository and the logs to look at; the mirrors and worktrees are scratch.
    await rm(join(root, 'work'), { recursive: true, force: true });
  }
}
