import type { SymbolDef } from './records.js';

/** A posting's flags: the file has a definition of the name that links files in the reference graph… */
export const LINKS = 1;
/** …and the first such definition in the file is top-level… */
export const TOP_LEVEL = 2;
/** …and exported (what a task's plain words may name). */
export const EXPORTED = 4;

const GENERIC = new Set(['constructor', '__init__', 'main', 'init', 'toString', 'default', 'index', 'get', 'set', 'run', 'test', 'name', 'id', 'value', 'data', 'type', 'key']);
/** Kinds whose names link files; members like interface properties are too common to mean a dependency. */
const LINKING_KINDS = new Set(['function', 'class', 'method', 'interface', 'type', 'enum', 'variable', 'namespace']);

/** Whether a name is specific enough to link the files using it to the files defining it. */
export const isLinkingName = (name: string) => name.length >= 2 && !GENERIC.has(name);
const isLinkingDef = (d: Pick<SymbolDef, 'name' | 'kind' | 'local'>) => isLinkingName(d.name) && LINKING_KINDS.has(d.kind) && !d.local;

/**
 * The flat arrays of a name table. Names are sorted by their lower-case form, then by where
 * they are first defined (file, then position in its definitions), so that a case-insensitive
 * lookup is a binary search and the first name of a group is the one defined first.
 */
export interface NameTableData {
  names: readonly string[];
  /** names.length + 1 offsets into `files`, `flags` (and a patch state's `positions`). */
  offsets: Int32Array;
  /** Per name, the files (indices) defining it, ascending. */
  files: Int32Array;
  /** Per posting, LINKS, TOP_LEVEL and EXPORTED. */
  flags: Uint8Array;
  /** Per name, how many files other than its definers use it. */
  usedBy: Int32Array;
}

/** How a name links files: the files with a linking definition, and the one file defining it top-level when only one does. */
export interface Linking {
  definers: number[];
  /** The definers that define it only as a member (a method): a call `x.push()` says little about which file it reaches. */
  members: ReadonlySet<number>;
  /** The only file whose first linking definition is top-level; -1 when several are; absent when none. */
  topLevel?: number;
}

/** Defined names → the files defining them, and how often each is used elsewhere. */
export class NameTable {
  #data: NameTableData | undefined;
  #load: (() => NameTableData) | undefined;
  #exact: Map<string, number> | undefined;
  #linking: Map<string, Linking> | undefined;

  /** From its arrays, or from a function that decodes them on first use. */
  constructor(data: NameTableData | (() => NameTableData)) {
    if (typeof data === 'function') this.#load = data;
    else this.#data = data;
  }

  get data(): NameTableData {
    if (!this.#data) {
      this.#data = (this.#load as () => NameTableData)();
      this.#load = undefined;
    }
    return this.#data;
  }

  get size(): number {
    return this.data.names.length;
  }

  name(i: number): string {
    return this.data.names[i] ?? '';
  }

  /** Files (indices, ascending) of the i-th name. */
  filesAt(i: number): Int32Array {
    const { offsets, files } = this.data;
    return files.subarray(offsets[i] as number, offsets[i + 1] as number);
  }

  /** The first index whose name is not below `lower` in lower-case order. */
  #lowerBound(lower: string): number {
    const names = this.data.names;
    let lo = 0;
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((names[mid] as string).toLowerCase() < lower) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of a name, or -1. */
  indexOf(name: string): number {
    if (this.#exact) return this.#exact.get(name) ?? -1;
    const names = this.data.names;
    const lower = name.toLowerCase();
    for (let i = this.#lowerBound(lower); i < names.length && (names[i] as string).toLowerCase() === lower; i++) if (names[i] === name) return i;
    return -1;
  }

  /** Files defining a name (ascending), or undefined when none does. */
  files(name: string): Int32Array | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.filesAt(i);
  }

  /** The names equal to `lower` ignoring case, the first defined first. */
  variants(lower: string): Array<{ name: string; files: Int32Array }> {
    const names = this.data.names;
    const out: Array<{ name: string; files: Int32Array }> = [];
    for (let i = this.#lowerBound(lower); i < names.length && (names[i] as string).toLowerCase() === lower; i++) out.push({ name: names[i] as string, files: this.filesAt(i) });
    return out;
  }

  /** Files defining a name at top level and exporting it (ascending). */
  exporters(name: string): number[] {
    const i = this.indexOf(name);
    const out: number[] = [];
    if (i < 0) return out;
    const { offsets, files, flags } = this.data;
    for (let p = offsets[i] as number; p < (offsets[i + 1] as number); p++) if ((flags[p] as number) & EXPORTED) out.push(files[p] as number);
    return out;
  }

  usedBy(name: string): number {
    // Asked for every symbol a map shows: worth a hash map.
    const i = this.#exactMap().get(name) ?? -1;
    return i < 0 ? 0 : (this.data.usedBy[i] ?? 0);
  }

  *entries(): IterableIterator<[string, Int32Array]> {
    for (let i = 0; i < this.size; i++) yield [this.name(i), this.filesAt(i)];
  }

  /** Many exact lookups ahead (building the graph): a hash map pays for itself. */
  #exactMap(): Map<string, number> {
    if (!this.#exact) {
      const names = this.data.names;
      const map = new Map<string, number>();
      for (let i = 0; i < names.length; i++) map.set(names[i] as string, i);
      this.#exact = map;
    }
    return this.#exact;
  }

  /** How a name links files, or undefined when no file defines it in a linking way. */
  linking(name: string): Linking | undefined {
    this.#linking ??= new Map();
    const known = this.#linking.get(name);
    if (known) return known.definers.length ? known : undefined;
    const i = this.#exactMap().get(name);
    const members = new Set<number>();
    const result: Linking = { definers: [], members };
    if (i !== undefined) {
      const { offsets, files, flags } = this.data;
      let top: number | undefined;
      for (let p = offsets[i] as number; p < (offsets[i + 1] as number); p++) {
        const f = flags[p] as number;
        if (!(f & LINKS)) continue;
        result.definers.push(files[p] as number);
        if (f & TOP_LEVEL) top = top === undefined ? (files[p] as number) : -1;
        else members.add(files[p] as number);
      }
      if (top !== undefined) result.topLevel = top;
    }
    this.#linking.set(name, result);
    return result.definers.length ? result : undefined;
  }
}

type Defs = ReadonlyArray<Pick<SymbolDef, 'name' | 'kind' | 'container' | 'local'> & Partial<Pick<SymbolDef, 'exported'>>>;

/** A name's postings while a table is built or patched. */
interface Entry {
  files: number[];
  flags: number[];
  /** Position in the file's definitions of the first definition of the name. */
  positions: number[];
}

/** What one file's definitions contribute: name → [flags, position of its first definition]. */
export function postingsOf(defs: Defs): Map<string, [flags: number, position: number]> {
  const out = new Map<string, [number, number]>();
  defs.forEach((d, position) => {
    if (d.name.length < 2) return;
    let posting = out.get(d.name);
    if (!posting) {
      posting = [0, position];
      out.set(d.name, posting);
    }
    // The first linking definition of a name in a file decides whether it counts as top-level.
    if (isLinkingDef(d) && !(posting[0] & LINKS)) posting[0] = LINKS | (d.container === undefined ? TOP_LEVEL | (d.exported ? EXPORTED : 0) : 0);
  });
  return out;
}

const byLower = (a: string, b: string) => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

function tableOf(order: readonly string[], entries: ReadonlyMap<string, Entry>): { data: NameTableData; positions: Int32Array } {
  const offsets = new Int32Array(order.length + 1);
  let total = 0;
  order.forEach((name, i) => {
    total += (entries.get(name) as Entry).files.length;
    offsets[i + 1] = total;
  });
  const files = new Int32Array(total);
  const flags = new Uint8Array(total);
  const positions = new Int32Array(total);
  order.forEach((name, i) => {
    const e = entries.get(name) as Entry;
    const at = offsets[i] as number;
    files.set(e.files, at);
    flags.set(e.flags, at);
    positions.set(e.positions, at);
  });
  return { data: { names: order, offsets, files, flags, usedBy: new Int32Array(order.length) }, positions };
}

/**
 * The table of every name the code files define (files in index order, each with its
 * definitions), with `positions` for patching it later. Usage counts start at zero.
 */
export function buildNameTable(code: Iterable<{ index: number; defs: Defs }>): { table: NameTable; positions: Int32Array } {
  const entries = new Map<string, Entry>();
  for (const { index, defs } of code) {
    for (const [name, [flags, position]] of postingsOf(defs)) {
      let e = entries.get(name);
      if (!e) {
        e = { files: [], flags: [], positions: [] };
        entries.set(name, e);
      }
      e.files.push(index);
      e.flags.push(flags);
      e.positions.push(position);
    }
  }
  // Insertion order is first-definition order; a stable sort by lower case keeps it within a group.
  const order = [...entries.keys()].sort(byLower);
  const { data, positions } = tableOf(order, entries);
  return { table: new NameTable(data), positions };
}

/**
 * The table after some files changed: their old postings removed, their new ones added,
 * every other name's postings (and place) kept. Equal to building it again from every file.
 * When files were added or removed, `map` takes each previous file index to its new one
 * (-1: removed, and `removed` has its definitions); it must keep their order.
 */
export function patchNameTable(
  previous: NameTable,
  previousPositions: Int32Array,
  changed: ReadonlyArray<{ index: number; before: Defs; after: Defs }>,
  shifted?: { map: Int32Array; removed: readonly Defs[] },
): { table: NameTable; positions: Int32Array } {
  const raw = previous.data;
  const prev = shifted ? remapTable(raw, previousPositions, shifted.map) : { ...raw, positions: previousPositions };
  previousPositions = prev.positions;
  const changedFiles = new Set(changed.map((c) => c.index));
  const touched = new Set<string>();
  // A removed file may have been a name's first definer: such names find their place again.
  for (const defs of shifted?.removed ?? []) for (const d of defs) if (d.name.length >= 2) touched.add(d.name);
  const added = new Map<string, Array<[file: number, flags: number, position: number]>>();
  for (const c of [...changed].sort((a, b) => a.index - b.index)) {
    for (const d of c.before) if (d.name.length >= 2) touched.add(d.name);
    for (const [name, [flags, position]] of postingsOf(c.after)) {
      touched.add(name);
      const list = added.get(name) ?? [];
      list.push([c.index, flags, position]);
      added.set(name, list);
    }
  }
  // Touched names: their postings again, the changed files' taken out and put back in file order.
  const entries = new Map<string, Entry>();
  const kept: number[] = [];
  for (let i = 0; i < prev.names.length; i++) {
    const name = prev.names[i] as string;
    if (!touched.has(name)) {
      kept.push(i);
      continue;
    }
    const e: Entry = { files: [], flags: [], positions: [] };
    for (let p = prev.offsets[i] as number; p < (prev.offsets[i + 1] as number); p++) {
      if (changedFiles.has(prev.files[p] as number)) continue;
      e.files.push(prev.files[p] as number);
      e.flags.push(prev.flags[p] as number);
      e.positions.push(previousPositions[p] as number);
    }
    entries.set(name, e);
  }
  for (const [name, list] of added) {
    const e = entries.get(name) ?? { files: [], flags: [], positions: [] };
    for (const [file, flags, position] of list) {
      let at = e.files.length;
      while (at > 0 && (e.files[at - 1] as number) > file) at--;
      e.files.splice(at, 0, file);
      e.flags.splice(at, 0, flags);
      e.positions.splice(at, 0, position);
    }
    entries.set(name, e);
  }
  // Order: lower case, then first file, then first position (what building from scratch gives).
  const keyOf = (name: string, file: number, position: number) => [name.toLowerCase(), file, position] as const;
  const compare = (a: readonly [string, number, number], b: readonly [string, number, number]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]);
  const moved = [...entries]
    .filter(([, e]) => e.files.length > 0)
    .map(([name, e]) => ({ name, e, key: keyOf(name, e.files[0] as number, e.positions[0] as number) }))
    .sort((a, b) => compare(a.key, b.key));
  const keptKey = (i: number) => keyOf(prev.names[i] as string, prev.files[prev.offsets[i] as number] as number, previousPositions[prev.offsets[i] as number] as number);

  let total = 0;
  for (const i of kept) total += (prev.offsets[i + 1] as number) - (prev.offsets[i] as number);
  for (const m of moved) total += m.e.files.length;
  const size = kept.length + moved.length;
  const names: string[] = new Array<string>(size);
  const offsets = new Int32Array(size + 1);
  const files = new Int32Array(total);
  const flags = new Uint8Array(total);
  const positions = new Int32Array(total);
  let out = 0;
  let n = 0;
  const put = (name: string, postings: Int32Array | number[], f: Uint8Array | number[], pos: Int32Array | number[]) => {
    names[n] = name;
    files.set(postings, out);
    flags.set(f, out);
    positions.set(pos, out);
    out += postings.length;
    offsets[++n] = out;
  };
  let m = 0;
  for (const i of kept) {
    // Names no change touched keep their order; the touched ones are merged in where they now belong.
    if (m < moved.length) {
      const key = keptKey(i);
      while (m < moved.length && compare((moved[m] as (typeof moved)[number]).key, key) < 0) {
        const { name, e } = moved[m++] as (typeof moved)[number];
        put(name, e.files, e.flags, e.positions);
      }
    }
    const a = prev.offsets[i] as number;
    const b = prev.offsets[i + 1] as number;
    put(prev.names[i] as string, prev.files.subarray(a, b), prev.flags.subarray(a, b), previousPositions.subarray(a, b));
  }
  for (; m < moved.length; m++) {
    const { name, e } = moved[m] as (typeof moved)[number];
    put(name, e.files, e.flags, e.positions);
  }
  return { table: new NameTable({ names, offsets, files, flags, usedBy: new Int32Array(size) }), positions };
}

/** A table's postings with file indices mapped (-1: dropped), names left without postings dropped. */
function remapTable(data: NameTableData, positions: Int32Array, map: Int32Array): NameTableData & { positions: Int32Array } {
  const names: string[] = [];
  const offsets: number[] = [0];
  const files = new Int32Array(data.files.length);
  const flags = new Uint8Array(data.files.length);
  const pos = new Int32Array(data.files.length);
  const usedBy: number[] = [];
  let out = 0;
  for (let i = 0; i < data.names.length; i++) {
    const start = out;
    for (let p = data.offsets[i] as number; p < (data.offsets[i + 1] as number); p++) {
      const to = map[data.files[p] as number] as number;
      if (to < 0) continue;
      files[out] = to;
      flags[out] = data.flags[p] as number;
      pos[out] = positions[p] as number;
      out += 1;
    }
    if (out === start) continue;
    names.push(data.names[i] as string);
    offsets.push(out);
    usedBy.push(data.usedBy[i] as number);
  }
  return { names, offsets: Int32Array.from(offsets), files: files.slice(0, out), flags: flags.slice(0, out), usedBy: Int32Array.from(usedBy), positions: pos.slice(0, out) };
}
