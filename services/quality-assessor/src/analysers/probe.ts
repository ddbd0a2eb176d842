import { execa } from 'execa';

const cache = new Map<string, Promise<string | null>>();

/**
 * The first line a tool prints for its version, or null when it is not installed. These
 * run our trusted binaries on no input, so outside the sandbox; cached per process.
 */
export function toolVersion(file: string, args: readonly string[], path: string, pattern = /(\d+\.\d+(?:\.\d+)?)/): Promise<string | null> {
  const key = `${file}\0${args.join(' ')}\0${path}`;
  let probe = cache.get(key);
  if (!probe) {
    probe = execa(file, [...args], { env: { PATH: path, HOME: '/nonexistent' }, extendEnv: false, reject: false, timeout: 15_000, all: true, stdin: 'ignore' })
      .then((r) => {
        if (r.failed && r.exitCode === undefined) return null;
        if (r.exitCode !== 0 && !pattern.test(r.all ?? '')) return null;
        return pattern.exec(r.all ?? '')?.[1] ?? null;
      })
      .catch(() => null);
    cache.set(key, probe);
  }
  return probe;
}

/** The first of several commands that answers. */
export async function firstAvailable(candidates: ReadonlyArray<{ file: string; args: readonly string[]; run: string }>, path: string): Promise<{ run: string; version: string } | null> {
  for (const c of candidates) {
    const version = await toolVersion(c.file, c.args, path);
    if (version) return { run: c.run, version };
  }
  return null;
}
