import { endianness } from 'node:os';
import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';
import { ANALYSIS_VERSION, type Analysis, type AnalysedFile, type PatchState } from '../domain/analysis.js';
import { NameTable } from '../domain/names.js';

/**
 * The stored form of an analysis: a small directory, then sections each compressed on its
 * own, so a reader inflates and parses only what it uses. Numbers are typed arrays stored
 * as their raw bytes (read back as views, without parsing); strings are NUL-separated
 * (git paths, blob ids and identifiers never contain NUL). The name table is inflated on
 * first use, and what only a change needs (the patch state) is a separate object.
 */
const MAGIC = 'PBA1';
const LITTLE = endianness() === 'LE';

type Kind = 'json' | 'strings' | 'i32' | 'u16' | 'u8' | 'f64' | 'hex';
type Value = unknown;

interface Directory {
  version: number;
  littleEndian: boolean;
  /** name → [offset, stored length, kind, raw length (deflated) or -1 (stored as it is)] */
  sections: Record<string, [number, number, Kind, number]>;
}

const HEX40 = /^[0-9a-f]{40}$/;

function bytesOf(kind: Kind, value: Value): Buffer {
  switch (kind) {
    case 'json':
      return Buffer.from(JSON.stringify(value));
    case 'strings':
      return Buffer.from((value as readonly string[]).join('\0'));
    case 'hex':
      // Git ids as their 20 bytes: turned back into hex in one call, not one per id.
      return Buffer.from((value as readonly string[]).join(''), 'hex');
    default: {
      const array = value as Int32Array | Uint8Array | Float64Array;
      return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    }
  }
}

// Compressed on libuv's threads, so that storing an analysis does not hold up the next answer.
const deflate = promisify(deflateRaw);

async function pack(sections: Record<string, [Kind, Value]>): Promise<Buffer> {
  const directory: Directory = { version: ANALYSIS_VERSION, littleEndian: LITTLE, sections: {} };
  const entries = Object.entries(sections).map(([name, [kind, value]]) => [name, kind, bytesOf(kind, value)] as const);
  // Level 1: most of the size win for a fraction of the time; the store checks integrity.
  const compressed = await Promise.all(entries.map(([, , raw]) => deflate(raw, { level: 1 })));
  const parts: Buffer[] = [];
  let offset = 0;
  entries.forEach(([name, kind, raw], i) => {
    // What barely compresses (hashes) is stored as it is: inflating it would cost more than fetching it.
    const packed = compressed[i] as Buffer;
    const deflated = packed.length < raw.length * 0.9;
    const stored = deflated ? packed : raw;
    directory.sections[name] = [offset, stored.length, kind, deflated ? raw.length : -1];
    parts.push(stored);
    offset += stored.length;
  });
  const head = Buffer.from(JSON.stringify(directory));
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(head.length, 4);
  return Buffer.concat([prefix, head, ...parts]);
}

/** Sections of a stored object, inflated on demand; null when it is not ours or not this version. */
function unpack(data: Uint8Array): ((name: string) => Value) | null {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) return null;
  const headLength = buf.readUInt32LE(4);
  let directory: Directory;
  try {
    directory = JSON.parse(buf.toString('utf8', 8, 8 + headLength)) as Directory;
  } catch {
    return null;
  }
  if (directory.version !== ANALYSIS_VERSION || directory.littleEndian !== LITTLE) return null;
  const base = 8 + headLength;
  return (name) => {
    const entry = directory.sections[name];
    if (!entry) throw new Error(`stored analysis has no section ${name}`);
    const [offset, length, kind, rawLength] = entry;
    const stored = buf.subarray(base + offset, base + offset + length);
    // One output chunk of the known size: no concatenation of 16 KiB pieces.
    const raw = rawLength >= 0 ? inflateRawSync(stored, { chunkSize: Math.max(64, rawLength) }) : stored;
    switch (kind) {
      case 'json':
        return JSON.parse(raw.toString('utf8')) as unknown;
      case 'strings':
        return raw.length === 0 ? [] : raw.toString('utf8').split('\0');
      case 'hex': {
        const hex = raw.toString('hex');
        return Array.from({ length: raw.length / 20 }, (_, i) => hex.substring(i * 40, i * 40 + 40));
      }
      default: {
        const width = kind === 'u8' ? 1 : kind === 'u16' ? 2 : kind === 'i32' ? 4 : 8;
        // Typed views need aligned memory; zlib's output usually is, else it is copied once.
        const bytes = raw.byteOffset % width === 0 ? raw : Buffer.from(raw);
        const n = bytes.byteLength / width;
        if (kind === 'u8') return new Uint8Array(bytes.buffer, bytes.byteOffset, n);
        if (kind === 'u16') return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
        if (kind === 'i32') return new Int32Array(bytes.buffer, bytes.byteOffset, n);
        return new Float64Array(bytes.buffer, bytes.byteOffset, n);
      }
    }
  };
}

/**
 * Rows of a grouped-by-source list (`width` numbers per row, the first the source, rows
 * ascending by source) as per-source counts and the other columns: a third smaller than the
 * rows, and it compresses better.
 */
function toColumns(rows: Int32Array, width: number, n: number): Int32Array[] {
  const m = rows.length / width;
  const counts = new Int32Array(n);
  const columns = Array.from({ length: width - 1 }, () => new Int32Array(m));
  for (let r = 0; r < m; r++) {
    counts[rows[r * width] as number] = (counts[rows[r * width] as number] as number) + 1;
    for (let c = 1; c < width; c++) (columns[c - 1] as Int32Array)[r] = rows[r * width + c] as number;
  }
  return [counts, ...columns];
}

/** File indices in half the bytes when there are few enough files. */
const indices = (column: Int32Array, n: number): [Kind, Value] => (n <= 0xffff ? ['u16', Uint16Array.from(column)] : ['i32', column]);

const WIDE = 0xffff;

/** Non-negative numbers in 16 bits, the few that do not fit (WIDE marks them) listed apart in order. */
function narrow(column: Int32Array): { low: Uint16Array; wide: Int32Array } {
  const low = new Uint16Array(column.length);
  const wide: number[] = [];
  for (let i = 0; i < column.length; i++) {
    const v = column[i] as number;
    if (v >= 0 && v < WIDE) low[i] = v;
    else {
      low[i] = WIDE;
      wide.push(v);
    }
  }
  return { low, wide: Int32Array.from(wide) };
}

/**
 * Rows back from per-source counts and columns (`to`, and for the reference graph its weights
 * in 16 bits with the wide ones apart), in one pass with no per-column indirection: this runs
 * on every warm request in a worker new to the repository, on 285,000 edges for a large tree.
 */
function fromColumns(counts: Int32Array, to: ArrayLike<number>, weights?: { low: Uint16Array; wide: Int32Array }): Int32Array {
  const width = weights ? 3 : 2;
  const rows = new Int32Array(to.length * width);
  let r = 0;
  let w = 0;
  for (let source = 0; source < counts.length; source++) {
    for (const end = r + (counts[source] as number); r < end; r++) {
      const at = r * width;
      rows[at] = source;
      rows[at + 1] = to[r] as number;
      if (weights) {
        const low = weights.low[r] as number;
        rows[at + 2] = low === WIDE ? (weights.wide[w++] as number) : low;
      }
    }
  }
  return rows;
}

type Meta = Omit<Analysis, 'files' | 'names' | 'edges' | 'links'> & {
  languageNames: string[];
  /** Blobs that are not git ids (large files outside git stand in by size and time): [file, blob]. */
  otherBlobs: Array<[number, string]>;
};

export function encodeAnalysis(a: Analysis): Promise<Buffer> {
  const { files, names, edges, links, ...rest } = a;
  const languageNames = [...new Set(files.flatMap((f) => (f.language ? [f.language] : [])))];
  const languageIndex = new Map(languageNames.map((l, i) => [l, i + 1]));
  const n = files.length;
  const sizes = new Float64Array(n);
  const language = new Uint8Array(n);
  const test = new Uint8Array(n);
  const symbols = new Int32Array(n);
  files.forEach((f, i) => {
    sizes[i] = f.size;
    language[i] = f.language ? (languageIndex.get(f.language) ?? 0) : 0;
    test[i] = f.test ? 1 : 0;
    symbols[i] = f.symbols ?? -1;
  });
  const table = names.data;
  const otherBlobs = files.flatMap((f, i): Array<[number, string]> => (HEX40.test(f.blob) ? [] : [[i, f.blob]]));
  const meta: Meta = { ...rest, languageNames, otherBlobs };
  const [edgeCounts, edgeTo, edgeWeight] = toColumns(edges, 3, n) as [Int32Array, Int32Array, Int32Array];
  // Weights are thousandths: nearly all fit in 16 bits.
  const weights = narrow(edgeWeight);
  const [linkCounts, linkTo] = toColumns(links, 2, n) as [Int32Array, Int32Array];
  return pack({
    meta: ['json', meta],
    paths: ['strings', files.map((f) => f.path)],
    blobs: ['hex', files.map((f) => (HEX40.test(f.blob) ? f.blob : '0'.repeat(40)))],
    sizes: ['f64', sizes],
    language: ['u8', language],
    test: ['u8', test],
    symbols: ['i32', symbols],
    edgeCounts: ['i32', edgeCounts],
    edgeTo: indices(edgeTo, n),
    edgeWeight: ['u16', weights.low],
    edgeWideWeight: ['i32', weights.wide],
    linkCounts: ['i32', linkCounts],
    linkTo: indices(linkTo, n),
    names: ['strings', table.names],
    nameOffsets: ['i32', table.offsets],
    nameFiles: ['i32', table.files],
    nameFlags: ['u8', table.flags],
    usedBy: ['i32', table.usedBy],
  });
}

/** An analysis from its stored form: facts, file list and graph now, the name table on first use. */
export function decodeAnalysis(data: Uint8Array): Analysis | null {
  const section = unpack(data);
  if (!section) return null;
  const { languageNames, otherBlobs, ...meta } = section('meta') as Meta;
  const paths = section('paths') as string[];
  const blobs = section('blobs') as string[];
  const sizes = section('sizes') as Float64Array;
  const language = section('language') as Uint8Array;
  const test = section('test') as Uint8Array;
  const symbols = section('symbols') as Int32Array;
  for (const [i, blob] of otherBlobs) blobs[i] = blob;
  const files: AnalysedFile[] = new Array<AnalysedFile>(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const file: AnalysedFile = { path: paths[i] as string, blob: blobs[i] as string, size: sizes[i] as number, test: test[i] === 1 };
    const lang = languageNames[(language[i] as number) - 1];
    if (lang !== undefined) file.language = lang;
    const s = symbols[i] as number;
    if (s >= 0) file.symbols = s;
    files[i] = file;
  }
  const names = new NameTable(() => ({
    names: section('names') as string[],
    offsets: section('nameOffsets') as Int32Array,
    files: section('nameFiles') as Int32Array,
    flags: section('nameFlags') as Uint8Array,
    usedBy: section('usedBy') as Int32Array,
  }));
  const edges = fromColumns(section('edgeCounts') as Int32Array, section('edgeTo') as ArrayLike<number>, {
    low: section('edgeWeight') as Uint16Array,
    wide: section('edgeWideWeight') as Int32Array,
  });
  const links = fromColumns(section('linkCounts') as Int32Array, section('linkTo') as ArrayLike<number>);
  return { ...meta, files, names, edges, links };
}

type StateMeta = Pick<PatchState, 'conventions' | 'utilities' | 'skipped'>;

export function encodePatchState(s: PatchState): Promise<Buffer> {
  const meta: StateMeta = { conventions: s.conventions, utilities: s.utilities, skipped: s.skipped };
  return pack({
    meta: ['json', meta],
    positions: ['i32', s.positions],
    refNames: ['strings', s.refs.names],
    refOffsets: ['i32', s.refs.offsets],
    refFiles: ['i32', s.refs.files],
    probeNames: ['strings', s.probes.names],
    probeOffsets: ['i32', s.probes.offsets],
    probeFiles: ['i32', s.probes.files],
    lines: ['i32', s.lines],
    commentLines: ['i32', s.commentLines],
  });
}

export function decodePatchState(data: Uint8Array): PatchState | null {
  const section = unpack(data);
  if (!section) return null;
  const meta = section('meta') as StateMeta;
  return {
    ...meta,
    positions: section('positions') as Int32Array,
    refs: { names: section('refNames') as string[], offsets: section('refOffsets') as Int32Array, files: section('refFiles') as Int32Array },
    probes: { names: section('probeNames') as string[], offsets: section('probeOffsets') as Int32Array, files: section('probeFiles') as Int32Array },
    lines: section('lines') as Int32Array,
    commentLines: section('commentLines') as Int32Array,
  };
}
