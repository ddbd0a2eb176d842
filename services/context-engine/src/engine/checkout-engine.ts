import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkoutKey } from '@patchbay/contracts';

/** The process that runs a checkout's own engine (`checkout-main.js <checkout>`). */
const ENTRY = fileURLToPath(new URL('../checkout-main.js', import.meta.url));

/** What a running checkout engine leaves in the work directory: who it is, and where it logs. */
export interface CheckoutEngineState {
  pid: number;
  checkout: string;
  startedAt: string;
  log: string;
}

export function checkoutEngineFiles(workdir: string, checkout: string): { dir: string; state: string; log: string } {
  const dir = join(workdir, 'checkout-engines');
  // Named like the checkout's subject: one engine per checkout and machine.
  const key = checkoutKey(hostname(), checkout);
  return { dir, state: join(dir, `${key}.json`), log: join(dir, `${key}.log`) };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** What a state file says; nothing when it is missing or half-written. */
async function stateIn(file: string): Promise<CheckoutEngineState | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  try {
    const state = text === undefined ? undefined : (JSON.parse(text) as Partial<CheckoutEngineState>);
    return typeof state?.pid === 'number' ? (state as CheckoutEngineState) : undefined;
  } catch {
    return undefined;
  }
}

/** The checkout's engine, if one is running (it may still be starting). */
export async function runningCheckoutEngine(workdir: string, checkout: string): Promise<CheckoutEngineState | undefined> {
  const state = await stateIn(checkoutEngineFiles(workdir, checkout).state);
  return state && alive(state.pid) ? state : undefined;
}

/**
 * Makes this process the checkout's engine, unless another live one is: false then. A state
 * file left by an engine that died is taken over.
 */
export async function claimCheckoutEngine(workdir: string, checkout: string): Promise<boolean> {
  const files = checkoutEngineFiles(workdir, checkout);
  await mkdir(files.dir, { recursive: true });
  const state: CheckoutEngineState = { pid: process.pid, checkout, startedAt: new Date().toISOString(), log: files.log };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(files.state, JSON.stringify(state), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const other = await runningCheckoutEngine(workdir, checkout);
      if (other && other.pid !== process.pid) return false;
      await rm(files.state, { force: true });
    }
  }
  return false;
}

/** Removes the state file if it is this process's. */
export async function releaseCheckoutEngine(workdir: string, checkout: string): Promise<void> {
  const files = checkoutEngineFiles(workdir, checkout);
  if ((await stateIn(files.state))?.pid === process.pid) await rm(files.state, { force: true });
}

/**
 * Starts the checkout's engine as a process of its own that outlives the caller; it logs to
 * the work directory. The caller's environment (its settings) is the engine's.
 */
export async function startCheckoutEngine(workdir: string, checkout: string): Promise<{ pid: number; log: string }> {
  const files = checkoutEngineFiles(workdir, checkout);
  await mkdir(files.dir, { recursive: true });
  // Appended to across starts, begun afresh once it has grown past a megabyte.
  const size = await stat(files.log).then((s) => s.size, () => 0);
  const log = await open(files.log, size > 1_000_000 ? 'w' : 'a');
  try {
    const child = spawn(process.execPath, [ENTRY, checkout], { detached: true, stdio: ['ignore', log.fd, log.fd] });
    child.unref();
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid ?? 0));
      child.once('error', reject);
    });
    return { pid, log: files.log };
  } finally {
    await log.close();
  }
}
