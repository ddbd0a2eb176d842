import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkoutEngineFiles, claimCheckoutEngine, releaseCheckoutEngine, runningCheckoutEngine } from '../src/engine/checkout-engine.js';

let workdir: string;
const checkout = '/srv/checkouts/app';

beforeEach(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-checkout-engine-'));
});
afterEach(async () => {
  await rm(workdir, { recursive: true, force: true });
});

const writeState = async (pid: number) => {
  const files = checkoutEngineFiles(workdir, checkout);
  await mkdir(files.dir, { recursive: true });
  await writeFile(files.state, JSON.stringify({ pid, checkout, startedAt: new Date().toISOString(), log: files.log }));
};

describe("a checkout's own engine", () => {
  it('is claimed by one process: the state names it, a second claim by it holds, and release removes it', async () => {
    expect(await runningCheckoutEngine(workdir, checkout)).toBeUndefined();
    expect(await claimCheckoutEngine(workdir, checkout)).toBe(true);
    expect(await runningCheckoutEngine(workdir, checkout)).toMatchObject({ pid: process.pid, checkout });
    expect(await claimCheckoutEngine(workdir, checkout)).toBe(true);
    await releaseCheckoutEngine(workdir, checkout);
    expect(await runningCheckoutEngine(workdir, checkout)).toBeUndefined();
  });

  it('is not claimed while another live process holds it, and is taken over from one that died', async () => {
    const other = spawn('sleep', ['30']);
    try {
      await writeState(other.pid ?? 0);
      expect(await claimCheckoutEngine(workdir, checkout)).toBe(false);
      expect((await runningCheckoutEngine(workdir, checkout))?.pid).toBe(other.pid);
      // Not ours: release leaves it.
      await releaseCheckoutEngine(workdir, checkout);
      expect((await runningCheckoutEngine(workdir, checkout))?.pid).toBe(other.pid);
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    expect(await runningCheckoutEngine(workdir, checkout)).toBeUndefined();
    expect(await claimCheckoutEngine(workdir, checkout)).toBe(true);
    expect(JSON.parse(await readFile(checkoutEngineFiles(workdir, checkout).state, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('treats a state file it cannot read as no engine', async () => {
    const files = checkoutEngineFiles(workdir, checkout);
    await mkdir(files.dir, { recursive: true });
    await writeFile(files.state, '{ half a file');
    expect(await runningCheckoutEngine(workdir, checkout)).toBeUndefined();
    expect(await claimCheckoutEngine(workdir, checkout)).toBe(true);
  });
});
