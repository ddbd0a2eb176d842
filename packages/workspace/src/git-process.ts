import { spawn } from 'node:child_process';
import { inheritedEnvironment } from '@patchbay/config';
import { GitError } from '@patchbay/errors';

/** Git never prompts and never asks a credential manager to open a window. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo', GCM_INTERACTIVE: 'never' };

export interface GitRunOptions {
  input?: string | Buffer;
  /** Variables on top of the inherited environment (GIT_INDEX_FILE, GIT_OPTIONAL_LOCKS, dates). */
  env?: Readonly<Record<string, string>>;
  /** Output beyond this many bytes kills git and fails the run (default 256 MiB). */
  maxBuffer?: number;
}

export interface GitRun {
  exitCode: number;
  /** The output exactly, final newline included. */
  stdout: Buffer;
  stderr: string;
}

/** The git command in words for a message: its first three arguments after the `-c name=value` settings. */
export function commandOf(args: readonly string[]): string {
  let at = 0;
  while (args[at] === '-c') at += 2;
  return args.slice(at, at + 3).join(' ');
}

/**
 * Runs git and collects its output. A non-zero exit is a result, not an error (callers decide);
 * git missing, or output over the limit, is a GitError. node:child_process rather than execa:
 * every process that reads a repository runs git, and execa's ~90 ms of module loading made
 * `patchbay context` on a warm cache about a quarter slower (bench/cli).
 */
export function runGit(cwd: string, args: readonly string[], options: GitRunOptions = {}): Promise<GitRun> {
  const maxBuffer = options.maxBuffer ?? 256 * 1024 * 1024;
  const command = `git ${commandOf(args)}`;
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: inheritedEnvironment({ ...GIT_ENV, ...options.env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: Error | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      outBytes += chunk.length;
      if (outBytes <= maxBuffer) out.push(chunk);
      else {
        failure = new GitError(`${command}: output over ${maxBuffer} bytes`);
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // The start says what went wrong; the rest is dropped.
      if (errBytes < 64 * 1024) err.push(chunk);
      errBytes += chunk.length;
    });
    child.on('error', (cause) => {
      failure ??= new GitError(`${command} could not run: ${cause.message}`, { cause });
      // Not started at all: no 'close' is certain to follow.
      if (child.pid === undefined) reject(failure);
    });
    child.on('close', (code, signal) => {
      if (failure) reject(failure);
      else resolve({ exitCode: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out, outBytes), stderr: Buffer.concat(err).toString('utf8') });
    });
    // git may exit before reading all of its input (an early failure): that is its answer, not ours.
    child.stdin.on('error', () => {});
    if (options.input === undefined) child.stdin.end();
    else child.stdin.end(options.input);
  });
}
