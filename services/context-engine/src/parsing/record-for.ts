import { grammarFor } from '../domain/languages.js';
import { type FileRecord, NO_STYLE, lineCount } from '../domain/records.js';
import type { SymbolParser } from './tree-sitter.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text of a file, or why it is not text. */
export function decodeText(content: Buffer): { text: string } | { reason: string } {
  if (content.subarray(0, 8_000).includes(0)) return { reason: 'binary' };
  try {
    return { text: utf8.decode(content) };
  } catch {
    return { reason: 'binary (not UTF-8 text)' };
  }
}

/** A record for a code file: symbols from tree-sitter when there is a grammar, otherwise lines only. */
export function recordFor(path: string, content: Buffer, parser: SymbolParser | undefined): FileRecord {
  const decoded = decodeText(content);
  const empty = { lines: 0, commentLines: 0, defs: [], refs: {}, imports: [], style: NO_STYLE, parseErrors: false };
  if ('reason' in decoded) return { ...empty, skipped: decoded.reason };
  const text = decoded.text;
  const lines = lineCount(text);
  if (lines > 0 && text.length / lines > 500) return { ...empty, lines, skipped: 'minified or generated (lines average over 500 characters)' };
  const grammar = grammarFor(path);
  if (!grammar || !parser) return { ...empty, lines };
  try {
    return parser.parse(grammar, text);
  } catch (err) {
    return { ...empty, lines, skipped: `could not be parsed (${(err as Error).message})` };
  }
}

