/**
 * What tree-sitter is asked per grammar. Capture names: `@def` a definition node (its shape
 * below says its kind and where its name and body are), `@ref` an identifier use, `@import` a
 * module specifier (`@import.statement` one whose specifier is in its `source` field, `@_callee`
 * the function a specifier is passed to: `require` or `import`), `@comment` a comment.
 *
 * Definitions are matched by node type alone and taken apart by field in JavaScript: patterns
 * with child steps make tree-sitter analyse the grammar's parse table when the query compiles,
 * which was most of a new process's first parse (about 60 ms for TypeScript against 20 ms).
 */
import type { Grammar } from '../domain/languages.js';
import type { SymbolKind } from '../domain/records.js';

/** How a definition node is taken apart. */
export interface DefinitionShape {
  kind: SymbolKind;
  /** The field holding the name (default `name`). */
  nameField?: string;
  /** The node types the name may be (any named node when absent). */
  names?: readonly string[];
  /** The field where the signature ends: a definition without it does not count. */
  body?: string;
}

const TS_DEFINITIONS: Readonly<Record<string, DefinitionShape>> = {
  function_declaration: { kind: 'function', names: ['identifier'], body: 'body' },
  generator_function_declaration: { kind: 'function', names: ['identifier'], body: 'body' },
  function_signature: { kind: 'function', names: ['identifier'] },
  class_declaration: { kind: 'class', names: ['type_identifier'], body: 'body' },
  abstract_class_declaration: { kind: 'class', names: ['type_identifier'], body: 'body' },
  interface_declaration: { kind: 'interface', names: ['type_identifier'], body: 'body' },
  type_alias_declaration: { kind: 'type', names: ['type_identifier'], body: 'value' },
  enum_declaration: { kind: 'enum', names: ['identifier'], body: 'body' },
  method_definition: { kind: 'method', body: 'body' },
  method_signature: { kind: 'method' },
  abstract_method_signature: { kind: 'method' },
  property_signature: { kind: 'property' },
  public_field_definition: { kind: 'field' },
  // A function when its value is an arrow function or a function expression (see tree-sitter.ts).
  variable_declarator: { kind: 'variable', names: ['identifier'] },
  internal_module: { kind: 'namespace', body: 'body' },
};

const JS_DEFINITIONS: Readonly<Record<string, DefinitionShape>> = {
  function_declaration: { kind: 'function', names: ['identifier'], body: 'body' },
  generator_function_declaration: { kind: 'function', names: ['identifier'], body: 'body' },
  class_declaration: { kind: 'class', names: ['identifier'], body: 'body' },
  method_definition: { kind: 'method', body: 'body' },
  field_definition: { kind: 'field', nameField: 'property' },
  variable_declarator: { kind: 'variable', names: ['identifier'] },
};

const PY_DEFINITIONS: Readonly<Record<string, DefinitionShape>> = {
  function_definition: { kind: 'function', names: ['identifier'], body: 'body' },
  class_definition: { kind: 'class', names: ['identifier'], body: 'body' },
  // Module level only (see tree-sitter.ts).
  assignment: { kind: 'variable', nameField: 'left', names: ['identifier'] },
};

const GO_DEFINITIONS: Readonly<Record<string, DefinitionShape>> = {
  function_declaration: { kind: 'function', names: ['identifier'], body: 'body' },
  method_declaration: { kind: 'method', names: ['field_identifier'], body: 'body' },
  // A class for a struct, an interface for an interface type (see tree-sitter.ts).
  type_spec: { kind: 'type', names: ['type_identifier'], body: 'type' },
  type_alias: { kind: 'type', names: ['type_identifier'], body: 'type' },
  method_elem: { kind: 'method', names: ['field_identifier'] },
  field_declaration: { kind: 'field', names: ['field_identifier'] },
  const_spec: { kind: 'variable', names: ['identifier'] },
  var_spec: { kind: 'variable', names: ['identifier'] },
};

export const DEFINITIONS: Readonly<Record<Grammar, Readonly<Record<string, DefinitionShape>>>> = {
  typescript: TS_DEFINITIONS,
  tsx: TS_DEFINITIONS,
  javascript: JS_DEFINITIONS,
  python: PY_DEFINITIONS,
  go: GO_DEFINITIONS,
};

const definitionsOf = (shapes: Readonly<Record<string, DefinitionShape>>) => `[${Object.keys(shapes).map((type) => `(${type})`).join(' ')}] @def`;

const JS_IMPORTS = `
[(import_statement) (export_statement)] @import.statement
(call_expression function: [(identifier) (import)] @_callee arguments: (arguments . (string (string_fragment) @import)))
`;

export const QUERIES: Readonly<Record<Grammar, { defs: string; refs: string; imports: string; comments: string }>> = {
  typescript: {
    defs: definitionsOf(TS_DEFINITIONS),
    refs: '[(identifier) (type_identifier) (property_identifier) (shorthand_property_identifier)] @ref',
    imports: JS_IMPORTS,
    comments: '(comment) @comment',
  },
  tsx: {
    defs: definitionsOf(TS_DEFINITIONS),
    refs: '[(identifier) (type_identifier) (property_identifier) (shorthand_property_identifier)] @ref',
    imports: JS_IMPORTS,
    comments: '(comment) @comment',
  },
  javascript: {
    defs: definitionsOf(JS_DEFINITIONS),
    refs: '[(identifier) (property_identifier) (shorthand_property_identifier)] @ref',
    imports: JS_IMPORTS,
    comments: '(comment) @comment',
  },
  python: {
    defs: definitionsOf(PY_DEFINITIONS),
    refs: '(identifier) @ref',
    imports: `
(import_statement name: (dotted_name) @import)
(import_statement name: (aliased_import name: (dotted_name) @import))
(import_from_statement module_name: (_) @import)
`,
    comments: '(comment) @comment',
  },
  go: {
    defs: definitionsOf(GO_DEFINITIONS),
    refs: '[(identifier) (type_identifier) (field_identifier)] @ref',
    imports: '(import_spec path: (interpreted_string_literal) @import)',
    comments: '(comment) @comment',
  },
};
