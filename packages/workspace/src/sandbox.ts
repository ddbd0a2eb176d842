import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { isSecretName } from '@patchbay/secrets';

export interface SandboxOptions {
  /** A shell command line, run by /bin/sh in `cwd`. */
  command: string;
  cwd: string;
  timeoutMs: number;
  /** Bytes of output kept; the start and the end survive, the middle is dropped. */
  maxOutputBytes: number;
  /** Inherited variables the command may see (already allow-listed by config). */
  env: Readonly<Record<string, string>>;
  /** Scratch directory for HOME and TMPDIR, so tools never touch the real home. */
  scratchDir: string;
  signal?: AbortSignal;
}

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** stdout and stderr interleaved as produced, capped. */
  output: string;
  truncated: boolean;
  durationMs: number;
  /** Whether the run was cut off from the network and the rest of the file system. */
  isolated: boolean;
}

/** Keeps the first quarter and the last three quarters of a byte budget. */
class CappedOutput {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const headLimit = Math.floor(this.limit / 4);
    if (this.headBytes < headLimit) {
      const take = chunk.subarray(0, headLimit - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailLimit = this.limit - headLimit;
    while (this.tailBytes > tailLimit && this.tail.length > 0) {
      const first = this.tail[0] as Buffer;
      const excess = this.tailBytes - tailLimit;
      this.truncated = true;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }

  toString(): string {
    const marker = this.truncated ? '\n[... output truncated by patchbay ...]\n' : '';
    return Buffer.concat(this.head).toString('utf8') + marker + Buffer.concat(this.tail).toString('utf8');
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Runs an untrusted command (a repository's tests, an analyser) with a time limit that
 * kills its whole process group, capped output, and only allow-listed environment
 * variables: no tokens, keys or credentials reach generated code.
 */
export async function runSandboxed(options: SandboxOptions): Promise<SandboxResult> {
  const home = join(options.scratchDir, 'home');
  const tmp = join(options.scratchDir, 'tmp');
  await mkdir(home, { recursive: true });
  await mkdir(tmp, { recursive: true });
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.env)) if (!isSecretName(name)) env[name] = value;
  Object.assign(env, { HOME: home, TMPDIR: tmp, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', TERM: 'dumb' });

  const started = performance.now();
  const child = execa('/bin/sh', ['-c', options.command], {
    cwd: options.cwd,
    env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    cleanup: true,
  });
  const output = new CappedOutput(options.maxOutputBytes);
  child.all?.on('data', (chunk: Buffer) => output.push(chunk));

  let timedOut = false;
  const stop = (signal: NodeJS.Signals) => {
    killGroup(child.pid, signal);
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), 2_000).unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop('SIGTERM');
  }, options.timeoutMs);
  // Background processes the command left behind would hold the output pipe open.
  child.once('exit', () => killGroup(child.pid, 'SIGKILL'));
  const onAbort = () => stop('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const result = await child;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);

  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut,
    output: output.toString(),
    truncated: output.truncated,
    durationMs: Math.round(performance.now() - started),
    isolated: false,
  };
}
