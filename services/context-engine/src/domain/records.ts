/** What the engine keeps about one file's content: path-independent, so it is cached by blob hash. */

export type SymbolKind =
  | 'function'
  | 'class'
  | 'method'
  | 'interface'
  | 'type'
  | 'enum'
  | 'variable'
  | 'property'
  | 'field'
  | 'namespace';

export interface SymbolDef {
  name: string;
  kind: SymbolKind;
  /** 1-based line of the definition. */
  line: number;
  /** The declaration without its body, whitespace collapsed. */
  signature: string;
  exported: boolean;
  /** Class, interface or struct the member belongs to. */
  container?: string;
  /** Seen by no other file: a top-level name an ES module does not export. */
  local?: true;
}

/** Lines and indentation measured on the text, for conventions. */
export interface StyleCounts {
  indent2: number;
  indent4: number;
  indentTab: number;
  /** Statement lines ending with ";" and those that could but do not (JS/TS only). */
  semicolon: number;
  noSemicolon: number;
  singleQuote: number;
  doubleQuote: number;
}

export interface FileRecord {
  lines: number;
  commentLines: number;
  defs: SymbolDef[];
  /** Identifier → occurrences in this file (the most frequent, capped). */
  refs: Record<string, number>;
  /** Module specifiers as written (`./x.js`, `app.services.users`, `example.com/m/pkg`). */
  imports: string[];
  style: StyleCounts;
  /** The parser met syntax it could not read; symbols are best effort. */
  parseErrors: boolean;
  /** Why the file was not analysed (binary, minified): remembered so it is not read again. */
  skipped?: string;
}

/** Lines of a text, a final line without its newline included ('' has none). */
export function lineCount(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines += 1;
  return text === '' || text.endsWith('\n') ? lines : lines + 1;
}

/** Empty measurements for files that are not parsed (docs, configs, other languages). */
export const NO_STYLE: StyleCounts = { indent2: 0, indent4: 0, indentTab: 0, semicolon: 0, noSemicolon: 0, singleQuote: 0, doubleQuote: 0 };

/** Counts lines, indentation, semicolons and quotes: cheap, and enough to name a style. */
export function measureStyle(text: string, jsLike: boolean): StyleCounts {
  const style = { ...NO_STYLE };
  let previousIndent = 0;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (line.startsWith('\t')) style.indentTab += 1;
    else {
      const indent = line.length - line.trimStart().length;
      const step = indent - previousIndent;
      if (step === 2) style.indent2 += 1;
      else if (step === 4) style.indent4 += 1;
      previousIndent = indent;
    }
    if (jsLike && !trimmed.startsWith('//') && !trimmed.startsWith('*') && !trimmed.startsWith('/*')) {
      if (/;$/.test(trimmed)) style.semicolon += 1;
      else if (/^(const|let|var|return|import|export\s+(const|default|\{|\*)|throw)\b.*[\w)\]'"`]$/.test(trimmed)) style.noSemicolon += 1;
    }
    const quote = /^(?:import|export)\b.*?\bfrom\s+(['"])|^import\s+(['"])|\brequire\((['"])/.exec(trimmed);
    const mark = quote?.[1] ?? quote?.[2] ?? quote?.[3];
    if (mark === "'") style.singleQuote += 1;
    else if (mark === '"') style.doubleQuote += 1;
  }
  return style;
}
