import { mkdir, realpath, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { SandboxError } from '@patchbay/errors';
import { isSecretName } from '@patchbay/secrets';

export type IsolationMode = 'auto' | 'require' | 'off';

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
  /**
   * auto (default): isolate with bubblewrap when it works on this machine, else run
   * unisolated with a notice; require: fail rather than run unisolated; off: never isolate.
   */
  isolation?: IsolationMode;
  /** The bubblewrap binary; found on the command's PATH when absent. */
  bwrap?: string;
  /** Files or directories the isolated command must not see (credentials of the real home). */
  hide?: readonly string[];
  /** false: the command may read `cwd` but not write it (analysing files in place). */
  writableCwd?: boolean;
  /**
   * Paths the isolated command must be able to read even where the sandbox hides their
   * parent (e.g. an installation under /tmp, which the sandbox replaces with an empty one).
   */
  readOnly?: readonly string[];
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
  /** Why the run was not isolated, in words for a report. */
  notice?: string;
}

export interface IsolationSupport {
  available: boolean;
  bwrap?: string;
  /** Why isolation is not available here. */
  reason?: string;
}

const probes = new Map<string, Promise<IsolationSupport>>();

/** execa loads when a command is sandboxed: processes that only run git never pay its ~90 ms of module loading. */
const loadExeca = () => import('execa');

async function findOnPath(name: string, path: string | undefined): Promise<string | undefined> {
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      await realpath(candidate);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Whether bubblewrap is installed and actually works here: inside some containers it is
 * present but may not create namespaces. Probed once per binary, with the options used for
 * real runs.
 */
export function isolationSupport(options: { bwrap?: string; path?: string } = {}): Promise<IsolationSupport> {
  const key = `${options.bwrap ?? ''}\0${options.path ?? ''}`;
  let probe = probes.get(key);
  if (!probe) {
    probe = (async (): Promise<IsolationSupport> => {
      const bwrap = options.bwrap ?? (await findOnPath('bwrap', options.path));
      if (!bwrap) return { available: false, reason: 'bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)' };
      const { execa } = await loadExeca();
      const result = await execa(bwrap, [...BASE_ARGS, '--', '/bin/sh', '-c', 'exit 0'], { reject: false, timeout: 10_000, stdin: 'ignore', all: true });
      if (result.exitCode === 0) return { available: true, bwrap };
      const why = (result.all ?? '').trim().split('\n')[0] || (result.failed ? (result.shortMessage ?? 'failed') : `exit ${String(result.exitCode)}`);
      return { available: false, bwrap, reason: `bubblewrap does not work on this machine (${why.slice(0, 200)})` };
    })();
    probes.set(key, probe);
  }
  return probe;
}

/** Namespaces and the read-only system every isolated run gets. */
const BASE_ARGS = [
  '--ro-bind', '/', '/',
  '--dev', '/dev',
  '--proc', '/proc',
  '--tmpfs', '/tmp',
  '--tmpfs', '/dev/shm',
  '--unshare-net',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-cgroup-try',
  '--die-with-parent',
  '--new-session',
];

async function bwrapArgs(options: SandboxOptions, home: string, tmp: string): Promise<string[]> {
  const args = [...BASE_ARGS];
  for (const hidden of options.hide ?? []) {
    const info = await stat(hidden).catch(() => undefined);
    if (info?.isDirectory()) args.push('--tmpfs', hidden);
    else if (info) args.push('--ro-bind', '/dev/null', hidden);
  }
  for (const path of options.readOnly ?? []) {
    if (await stat(path).catch(() => undefined)) args.push('--ro-bind', path, path);
  }
  // Later mounts win: the worktree and the scratch directory are the only writable places.
  args.push(options.writableCwd === false ? '--ro-bind' : '--bind', options.cwd, options.cwd);
  args.push('--bind', home, home, '--bind', tmp, tmp, '--chdir', options.cwd);
  return [...args, '--', '/bin/sh', '-c', options.command];
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
 * kills its whole process tree, capped output, and only allow-listed environment
 * variables: no tokens, keys or credentials reach generated code. Where bubblewrap works
 * the command also runs without network, with the system read-only, the worktree and its
 * scratch HOME/TMPDIR as the only writable places, and credential paths hidden. Killing
 * bwrap kills the sandbox's pid namespace, and with it every process the command forked.
 */
export async function runSandboxed(options: SandboxOptions): Promise<SandboxResult> {
  const home = join(options.scratchDir, 'home');
  const tmp = join(options.scratchDir, 'tmp');
  await mkdir(home, { recursive: true });
  await mkdir(tmp, { recursive: true });
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.env)) if (!isSecretName(name)) env[name] = value;
  Object.assign(env, { HOME: home, TMPDIR: tmp, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', TERM: 'dumb' });

  let isolated = false;
  let notice: string | undefined;
  let file = '/bin/sh';
  let args = ['-c', options.command];
  const mode = options.isolation ?? 'auto';
  if (mode === 'off') {
    notice = 'not isolated: sandbox isolation is turned off (sandbox.isolation: off)';
  } else {
    const support = await isolationSupport({ ...(options.bwrap ? { bwrap: options.bwrap } : {}), ...(env['PATH'] ? { path: env['PATH'] } : {}) });
    if (support.available && support.bwrap) {
      isolated = true;
      file = support.bwrap;
      args = await bwrapArgs(options, home, tmp);
    } else if (mode === 'require') {
      throw new SandboxError(`the sandbox must isolate (sandbox.isolation: require) but ${support.reason ?? 'cannot'}`);
    } else {
      notice = `not isolated: ${support.reason ?? 'bubblewrap is unavailable'}; the command had network access and could write outside its worktree`;
    }
  }

  const { execa } = await loadExeca();
  const started = performance.now();
  const child = execa(file, args, {
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
    isolated,
    ...(notice ? { notice } : {}),
  };
}
