import { type Node, Parser, Query, loadLanguage } from '@patchbay/grammars';
import type { Grammar } from '../domain/languages.js';
import { type FileRecord, type SymbolDef, type SymbolKind, lineCount, measureStyle } from '../domain/records.js';
import { DEFINITIONS, QUERIES } from './queries.js';

/** Turns source text into a file record with tree-sitter. */
export interface SymbolParser {
  /** Loads the grammars (once each); parse() needs its grammar loaded. */
  load(grammars: Iterable<Grammar>): Promise<void>;
  parse(grammar: Grammar, text: string): FileRecord;
}

const MAX_DEFS = 2_000;
const MAX_REFS = 2_000;
const MAX_SIGNATURE = 200;

interface Compiled {
  parser: Parser;
  query: Query;
}

let loading: Promise<SymbolParser> | undefined;

/**
 * The symbol parser of this thread: grammars (see @patchbay/grammars) and their queries load
 * on first use, so a TypeScript repository never pays for compiling the Go grammar.
 */
export function loadSymbolParser(): Promise<SymbolParser> {
  loading ??= (async () => {
    const compiled = new Map<Grammar, Promise<Compiled>>();
    const compile = (grammar: Grammar) => {
      let c = compiled.get(grammar);
      if (!c) {
        c = (async () => {
          const language = await loadLanguage(grammar);
          const parser = new Parser();
          parser.setLanguage(language);
          const q = QUERIES[grammar];
          return { parser, query: new Query(language, [q.defs, q.refs, q.imports, q.comments].join('\n')) };
        })();
        compiled.set(grammar, c);
      }
      return c;
    };
    const ready = new Map<Grammar, Compiled>();
    return {
      async load(grammars) {
        for (const g of new Set(grammars)) if (!ready.has(g)) ready.set(g, await compile(g));
      },
      parse(grammar, text) {
        const c = ready.get(grammar);
        if (!c) throw new Error(`grammar ${grammar} is not loaded`);
        return extract(grammar, c, text);
      },
    };
  })();
  return loading;
}

const collapse = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').replace(/([([{<]) /g, '$1').replace(/,? ([)\]}>])/g, '$1').trim();
  return flat.length > MAX_SIGNATURE ? `${flat.slice(0, MAX_SIGNATURE - 1)}…` : flat;
};

const CONTAINERS = new Set([
  'class_declaration',
  'abstract_class_declaration',
  'interface_declaration',
  'class_definition',
  'class',
  'type_spec',
  'internal_module',
]);
const SCOPES = new Set([
  'function_declaration',
  'generator_function_declaration',
  'function_definition',
  'method_definition',
  'arrow_function',
  'function_expression',
  'method_declaration',
  'func_literal',
  'statement_block',
  'object',
]);

/** Nearest class-like ancestor's name, and whether a function scope lies in between. */
function enclosing(node: Node): { container?: string; inScope: boolean } {
  let inScope = false;
  for (let p = node.parent; p; p = p.parent) {
    if (CONTAINERS.has(p.type)) {
      const name = p.childForFieldName('name')?.text;
      return name === undefined ? { inScope } : { container: name, inScope };
    }
    if (SCOPES.has(p.type)) inScope = true;
  }
  return { inScope };
}

function isExportedJs(node: Node): boolean {
  for (let p = node.parent, depth = 0; p && depth < 3; p = p.parent, depth++) {
    if (p.type === 'export_statement') return true;
    if (p.type === 'program' || p.type === 'class_body') return false;
  }
  return false;
}

/** Local names an export statement without a declaration exports: `export { a, b as c }`, `export default a`, `export = a`. */
function exportedNames(node: Node, into: Set<string>): void {
  if (node.childForFieldName('declaration')) return;
  for (const child of node.namedChildren) {
    if (child?.type === 'identifier') into.add(child.text);
    else if (child?.type === 'export_clause') {
      for (const specifier of child.namedChildren) {
        const local = specifier?.type === 'export_specifier' ? specifier.childForFieldName('name') : null;
        if (local) into.add(local.text);
      }
    }
  }
}

function goReceiver(node: Node): string | undefined {
  const receiver = node.childForFieldName('receiver')?.text ?? '';
  return /(\w+)\s*(?:\[[^\]]*\])?\s*\)$/.exec(receiver)?.[1];
}

function extract(grammar: Grammar, c: Compiled, text: string): FileRecord {
  const tree = c.parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    const defs: SymbolDef[] = [];
    const refs = new Map<string, number>();
    const imports: string[] = [];
    let commentLines = 0;
    const js = grammar === 'typescript' || grammar === 'tsx' || grammar === 'javascript';
    // An ES module (an import or export statement at its top, not inside `declare module "x" {…}`):
    // its top-level names are its own unless exported.
    let module = false;
    const exportList = new Set<string>();

    for (const match of c.query.matches(tree.rootNode)) {
      let callee: Node | undefined;
      const specifiers: string[] = [];
      for (const capture of match.captures) {
        const name = capture.name;
        if (name === 'ref') {
          const id = capture.node.text;
          refs.set(id, (refs.get(id) ?? 0) + 1);
        } else if (name === 'def') {
          // One pattern per node type: each definition node is captured once.
          const found = definitionAt(grammar, capture.node);
          const def = found && describe(grammar, js, found.kind, capture.node, found.name, found.body, text);
          if (def) defs.push(def);
        } else if (name === 'import') specifiers.push(capture.node.text.replace(/^"|"$/g, ''));
        else if (name === 'import.statement') {
          if (capture.node.parent?.type === 'program') module = true;
          const source = capture.node.childForFieldName('source');
          if (source?.type === 'string') {
            for (const part of source.namedChildren) if (part?.type === 'string_fragment') imports.push(part.text);
          } else if (capture.node.type === 'export_statement') exportedNames(capture.node, exportList);
        } else if (name === '_callee') callee = capture.node;
        else if (name === 'comment') commentLines += capture.node.endPosition.row - capture.node.startPosition.row + 1;
      }
      // A call's first string argument is a module only for require() and import().
      if (!callee || callee.type === 'import' || callee.text === 'require') imports.push(...specifiers);
    }

    if (module) {
      for (const d of defs) {
        if (d.container !== undefined) continue;
        if (exportList.has(d.name)) d.exported = true;
        else if (!d.exported) d.local = true;
      }
    }
    const topRefs = [...refs.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_REFS);
    return {
      lines: lineCount(text),
      commentLines,
      defs: defs.sort((a, b) => a.line - b.line).slice(0, MAX_DEFS),
      refs: Object.fromEntries(topRefs),
      imports: [...new Set(imports)],
      style: measureStyle(text, js),
      parseErrors: tree.rootNode.hasError,
    };
  } finally {
    tree.delete();
  }
}

/** A definition node's kind, name and body, by its shape (undefined when it lacks a part its shape needs). */
function definitionAt(grammar: Grammar, node: Node): { kind: SymbolKind; name: Node; body: Node | undefined } | undefined {
  const shape = DEFINITIONS[grammar][node.type];
  if (!shape) return undefined;
  const name = node.childForFieldName(shape.nameField ?? 'name');
  if (!name || !name.isNamed || (shape.names && !shape.names.includes(name.type))) return undefined;
  let body = shape.body === undefined ? undefined : (node.childForFieldName(shape.body) ?? undefined);
  if (shape.body !== undefined && !body?.isNamed) return undefined;
  let kind = shape.kind;
  if (node.type === 'variable_declarator') {
    const value = node.childForFieldName('value');
    const fnBody = value?.type === 'arrow_function' || value?.type === 'function_expression' ? value.childForFieldName('body') : null;
    if (fnBody?.isNamed) {
      kind = 'function';
      body = fnBody;
    }
  } else if (grammar === 'go' && node.type === 'type_spec') {
    kind = body?.type === 'struct_type' ? 'class' : body?.type === 'interface_type' ? 'interface' : 'type';
  } else if (grammar === 'python' && node.type === 'assignment') {
    if (node.parent?.type !== 'expression_statement' || node.parent.parent?.type !== 'module') return undefined;
  }
  return { kind, name, body };
}

function describe(
  grammar: Grammar,
  js: boolean,
  declared: SymbolKind,
  node: Node,
  nameNode: Node,
  body: Node | undefined,
  text: string,
): SymbolDef | undefined {
  const name = nameNode.text;
  const { container: outer, inScope } = enclosing(node);
  let kind = declared;
  let container = outer;
  // Locals are not part of the map: only declarations at module or class level.
  if (inScope && kind !== 'method') return undefined;
  if (grammar === 'python' && kind === 'function' && container !== undefined) kind = 'method';
  if (grammar === 'go' && kind === 'method' && node.type === 'method_declaration') container = goReceiver(node);
  if ((kind === 'variable' || kind === 'function') && js && node.type === 'variable_declarator' && container !== undefined) return undefined;
  if (kind === 'variable' && grammar === 'go' && container !== undefined) return undefined;
  if ((kind === 'method' || kind === 'property' || kind === 'field') && container === undefined && grammar !== 'go') return undefined;

  let head: string;
  if (body && kind !== 'type') head = text.slice(node.startIndex, body.startIndex);
  else head = text.slice(node.startIndex, node.endIndex);
  if (node.type === 'variable_declarator') {
    const keyword = node.parent?.firstChild?.text;
    head = `${keyword === 'let' || keyword === 'var' || keyword === 'const' ? keyword : 'const'} ${kind === 'variable' ? name : head}`;
  }
  if (grammar === 'go' && (node.type === 'type_spec' || node.type === 'type_alias')) {
    head = kind === 'class' ? `type ${name} struct` : kind === 'interface' ? `type ${name} interface` : `type ${head}`;
  }
  if (grammar === 'go' && (node.type === 'const_spec' || node.type === 'var_spec')) head = `${node.type === 'const_spec' ? 'const' : 'var'} ${head}`;
  if (grammar === 'python') head = head.replace(/#[^\n]*/g, '');
  let signature = collapse(head.replace(/[{:]\s*$/, (m) => (grammar === 'python' ? m : '')).trimEnd());
  if (kind === 'type' && signature.endsWith('…')) signature = collapse(text.slice(node.startIndex, body?.startIndex ?? node.endIndex)) + ' …';

  let exported: boolean;
  if (js) {
    const top = node.type === 'variable_declarator' ? (node.parent ?? node) : node;
    exported = container === undefined ? isExportedJs(top) : !/^(private|#)/.test(node.text) && !name.startsWith('#');
  } else if (grammar === 'go') exported = /^[A-Z]/.test(name);
  else exported = !name.startsWith('_') || (name.startsWith('__') && name.endsWith('__'));

  return {
    name,
    kind,
    line: node.startPosition.row + 1,
    signature,
    exported,
    ...(container !== undefined ? { container } : {}),
  };
}
