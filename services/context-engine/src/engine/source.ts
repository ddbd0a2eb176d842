import { createHash } from 'node:crypto';
import { lstat, open, readlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, dirname } from 'node:path';
import { execa } from 'execa';
import { type GitWorkspace, git } from '@patchbay/workspace';

export interface ListedFile {
  path: string;
  size: number;
  /** Git blob hash of the content (computed the way git does for files outside git). */
  blob: string;
}

export interface Listing {
  repo: string;
  commit: string;
  tree: string;
  /** Cache key of this state: the tree hash, or for a dirty working tree a hash of it and the changed files. */
  key: string;
  files: ListedFile[];
  /** Entries that are not regular files git can give us, with why. */
  unanalysed: Array<{ path: string; reason: string }>;
  /** Files whose content came from the working tree rather than git. */
  dirty: number;
}

export interface RepoSource {
  list(): Promise<Listing>;
  /** Contents by blob hash; what cannot be read is absent. */
  read(files: readonly ListedFile[]): Promise<Map<string, Buffer>>;
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' };

/** Git's blob hash of some content. */
export function blobHash(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Reads blobs with one `git cat-file --batch`. */
async function catBlobs(cwd: string, blobs: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const unique = [...new Set(blobs)];
  if (unique.length === 0) return out;
  const result = await execa('git', ['cat-file', '--batch'], {
    cwd,
    input: `${unique.join('\n')}\n`,
    encoding: 'buffer',
    maxBuffer: 2 * 1024 * 1024 * 1024,
    reject: false,
    env: GIT_ENV,
  });
  const data = Buffer.from(result.stdout);
  let offset = 0;
  while (offset < data.length) {
    const eol = data.indexOf(0x0a, offset);
    if (eol < 0) break;
    const header = data.subarray(offset, eol).toString('utf8').split(' ');
    offset = eol + 1;
    if (header[1] === 'missing' || header.length < 3) continue;
    const size = Number.parseInt(header[2] ?? '0', 10);
    out.set(header[0] ?? '', Buffer.from(data.subarray(offset, offset + size)));
    offset += size + 1;
  }
  return out;
}

function symlinkReason(target: string, linkPath: string): string {
  const escapes = isAbsolute(target) || relative('.', join(dirname(linkPath), target)).startsWith('..');
  return escapes ? `symlink pointing outside the repository (→ ${target}), not followed` : `symlink (→ ${target}), not followed`;
}

interface TreeEntry {
  mode: string;
  type: string;
  blob: string;
  size: number;
  path: string;
}

function parseLsTree(out: string): TreeEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', blob = '', size = '0'] = line.slice(0, tab).split(/\s+/);
      return { mode, type, blob, size: Number.parseInt(size, 10) || 0, path: line.slice(tab + 1) };
    });
}

/** A commit of a repository, read from the service's mirror: content comes from git alone. */
export function commitSource(workspace: GitWorkspace, url: string, commit: string): RepoSource {
  let mirror: string | undefined;
  return {
    async list() {
      mirror = await workspace.mirror(url);
      // A commit the mirror does not have yet: resolving it fetches.
      if (!(await git(mirror, ['cat-file', '-e', `${commit}^{commit}`]).then(() => true, () => false))) await workspace.resolveCommit(url, commit);
      const tree = await git(mirror, ['rev-parse', `${commit}^{tree}`]);
      const entries = parseLsTree(await git(mirror, ['ls-tree', '-r', '-l', '-z', '--full-tree', commit]));
      const files: ListedFile[] = [];
      const unanalysed: Listing['unanalysed'] = [];
      const links = entries.filter((e) => e.mode === '120000');
      const targets = await catBlobs(mirror, links.map((l) => l.blob));
      for (const e of entries) {
        if (e.mode === '120000') unanalysed.push({ path: e.path, reason: symlinkReason(targets.get(e.blob)?.toString('utf8') ?? '?', e.path) });
        else if (e.type === 'commit') unanalysed.push({ path: e.path, reason: 'submodule, not analysed' });
        else if (e.type === 'blob') files.push({ path: e.path, size: e.size, blob: e.blob });
      }
      return { repo: url, commit, tree, key: tree, files, unanalysed, dirty: 0 };
    },
    async read(files) {
      return catBlobs(mirror ?? (await workspace.mirror(url)), files.map((f) => f.blob));
    },
  };
}

/** What the engine remembers about files outside git: size and mtime → blob, trusted for a TTL. */
export interface DirtyIndex {
  at: number;
  files: Record<string, [size: number, mtimeMs: number, blob: string]>;
}

export interface WorkingTreeOptions {
  /** Files larger than this are not read (or hashed): they are not analysed anyway. */
  maxFileBytes: number;
  ttlMs: number;
  now?: () => number;
  loadIndex(): Promise<DirtyIndex | null>;
  saveIndex(index: DirtyIndex): Promise<void>;
}

async function readRegular(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    if (info.size > maxBytes) throw Object.assign(new Error('too large'), { code: 'ETOOBIG' });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * A local checkout as it is on disk, uncommitted changes included. Tracked files that match
 * the index come from git by blob; changed and untracked files are read from disk and
 * hashed the way git would, and remembered by size and mtime for `ttlMs`.
 */
export function workingTreeSource(dir: string, options: WorkingTreeOptions): RepoSource {
  const root = resolve(dir);
  const fromDisk = new Map<string, Buffer>();
  const now = options.now ?? Date.now;
  const run = (args: string[]) => git(root, args, { env: GIT_ENV });
  return {
    async list() {
      const head = await run(['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => '');
      const tree = head ? await run(['rev-parse', `${head}^{tree}`]) : EMPTY_TREE;
      const [indexOut, statusOut] = await Promise.all([
        run(['ls-files', '-s', '-z']),
        run(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=all']),
      ]);
      const indexed = new Map<string, { mode: string; blob: string }>();
      for (const line of indexOut.split('\0').filter(Boolean)) {
        const tab = line.indexOf('\t');
        const [mode = '', blob = ''] = line.slice(0, tab).split(' ');
        indexed.set(line.slice(tab + 1), { mode, blob });
      }
      const changed = new Map<string, 'modified' | 'deleted' | 'untracked'>();
      for (const item of statusOut.split('\0').filter(Boolean)) {
        const x = item[0];
        const y = item[1];
        const path = item.slice(3);
        if (x === '?' && y === '?') changed.set(path, 'untracked');
        else if (y === 'D' || (x === 'D' && y === ' ')) changed.set(path, 'deleted');
        else if (y !== ' ') changed.set(path, 'modified');
      }
      const previous = await options.loadIndex().catch(() => null);
      const trusted = previous && now() - previous.at < options.ttlMs ? previous.files : {};
      const index: DirtyIndex = { at: previous && now() - previous.at < options.ttlMs ? previous.at : now(), files: {} };
      let reread = false;

      const files: ListedFile[] = [];
      const unanalysed: Listing['unanalysed'] = [];
      const keyParts: string[] = [];
      const paths = [...new Set([...indexed.keys(), ...changed.keys()])].sort();
      for (const path of paths) {
        const entry = indexed.get(path);
        const state = changed.get(path);
        if (state === 'deleted') {
          keyParts.push(`${path}\0deleted`);
          continue;
        }
        if (entry && entry.mode === '160000') {
          unanalysed.push({ path, reason: 'submodule, not analysed' });
          continue;
        }
        if (entry && state === undefined) {
          if (entry.mode === '120000') {
            const target = await readlink(join(root, path)).catch(() => '?');
            unanalysed.push({ path, reason: symlinkReason(target, path) });
          } else files.push({ path, size: -1, blob: entry.blob });
          continue;
        }
        // Outside git: read it (unless its size and mtime are remembered and still trusted).
        const abs = join(root, path);
        let info;
        try {
          info = await lstat(abs);
        } catch (err) {
          unanalysed.push({ path, reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
          keyParts.push(`${path}\0unreadable`);
          continue;
        }
        if (info.isSymbolicLink()) {
          const target = await readlink(abs).catch(() => '?');
          const exists = await lstat(resolve(dirname(abs), target)).then(() => true, () => false);
          unanalysed.push({ path, reason: exists ? symlinkReason(target, path) : `broken symlink (→ ${target})` });
          keyParts.push(`${path}\0link\0${target}`);
          continue;
        }
        if (!info.isFile()) {
          unanalysed.push({ path, reason: 'not a regular file' });
          continue;
        }
        if (info.size > options.maxFileBytes) {
          // Not analysed, so not read: its size and time stand in for its content.
          const blob = `stat-${info.size}-${Math.trunc(info.mtimeMs)}`;
          files.push({ path, size: info.size, blob });
          keyParts.push(`${path}\0${blob}`);
          continue;
        }
        const known = trusted[path];
        if (known && known[0] === info.size && known[1] === info.mtimeMs) {
          files.push({ path, size: info.size, blob: known[2] });
          index.files[path] = known;
          keyParts.push(`${path}\0${known[2]}`);
          continue;
        }
        try {
          const content = await readRegular(abs, options.maxFileBytes);
          const blob = blobHash(content);
          fromDisk.set(blob, content);
          files.push({ path, size: content.length, blob });
          index.files[path] = [info.size, info.mtimeMs, blob];
          keyParts.push(`${path}\0${blob}`);
          reread = true;
        } catch (err) {
          unanalysed.push({ path, reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
          keyParts.push(`${path}\0unreadable`);
        }
      }
      // Sizes of files that match the index come from their blobs, in one git call.
      const sized = files.filter((f) => f.size < 0);
      if (sized.length) {
        const out = await execa('git', ['cat-file', '--batch-check=%(objectname) %(objectsize)'], { cwd: root, input: sized.map((f) => f.blob).join('\n'), env: GIT_ENV, reject: false });
        const sizes = new Map(out.stdout.split('\n').map((l) => l.split(' ') as [string, string]));
        for (const f of sized) f.size = Number.parseInt(sizes.get(f.blob) ?? '0', 10) || 0;
      }
      if (reread || Object.keys(index.files).length !== Object.keys(previous?.files ?? {}).length) {
        if (reread) index.at = now();
        await options.saveIndex(index).catch(() => {});
      }
      const dirty = keyParts.length;
      const key = dirty === 0 ? tree : `w${createHash('sha256').update(`${tree}\n${keyParts.join('\n')}`).digest('hex').slice(0, 40)}`;
      return { repo: root, commit: head || '(no commits)', tree, key, files, unanalysed, dirty };
    },
    async read(files) {
      const out = new Map<string, Buffer>();
      const fromGit: string[] = [];
      for (const f of files) {
        const cached = fromDisk.get(f.blob);
        if (cached) out.set(f.blob, cached);
        else if (!f.blob.startsWith('stat-')) fromGit.push(f.blob);
      }
      for (const [blob, content] of await catBlobs(root, fromGit)) out.set(blob, content);
      // Remembered dirty files are not in git: read them from disk by path.
      for (const f of files) {
        if (out.has(f.blob) || f.blob.startsWith('stat-')) continue;
        const content = await readRegular(join(root, f.path), options.maxFileBytes).catch(() => undefined);
        if (content && blobHash(content) === f.blob) out.set(f.blob, content);
      }
      return out;
    },
  };
}
