/**
 * Tree-sitter queries per grammar. Capture names: `@def.<kind>` marks a definition node,
 * `@name` its name and `@body` where its signature ends; `@ref` an identifier use;
 * `@import` a module specifier; `@comment` a comment.
 */
import type { Grammar } from '../domain/languages.js';

const TS_DEFS = `
(function_declaration name: (identifier) @name body: (_) @body) @def.function
(generator_function_declaration name: (identifier) @name body: (_) @body) @def.function
(function_signature name: (identifier) @name) @def.function
(class_declaration name: (type_identifier) @name body: (_) @body) @def.class
(abstract_class_declaration name: (type_identifier) @name body: (_) @body) @def.class
(interface_declaration name: (type_identifier) @name body: (_) @body) @def.interface
(type_alias_declaration name: (type_identifier) @name value: (_) @body) @def.type
(enum_declaration name: (identifier) @name body: (_) @body) @def.enum
(method_definition name: (_) @name body: (_) @body) @def.method
(method_signature name: (_) @name) @def.method
(abstract_method_signature name: (_) @name) @def.method
(property_signature name: (_) @name) @def.property
(public_field_definition name: (_) @name) @def.field
(variable_declarator name: (identifier) @name value: (arrow_function body: (_) @body)) @def.function
(variable_declarator name: (identifier) @name value: (function_expression body: (_) @body)) @def.function
(variable_declarator name: (identifier) @name) @def.variable
(internal_module name: (_) @name body: (_) @body) @def.namespace
`;

const JS_DEFS = `
(function_declaration name: (identifier) @name body: (_) @body) @def.function
(generator_function_declaration name: (identifier) @name body: (_) @body) @def.function
(class_declaration name: (identifier) @name body: (_) @body) @def.class
(method_definition name: (_) @name body: (_) @body) @def.method
(field_definition property: (_) @name) @def.field
(variable_declarator name: (identifier) @name value: (arrow_function body: (_) @body)) @def.function
(variable_declarator name: (identifier) @name value: (function_expression body: (_) @body)) @def.function
(variable_declarator name: (identifier) @name) @def.variable
`;

const JS_IMPORTS = `
(import_statement source: (string (string_fragment) @import))
(export_statement source: (string (string_fragment) @import))
(call_expression function: (identifier) @_require arguments: (arguments . (string (string_fragment) @import)) (#eq? @_require "require"))
(call_expression function: (import) arguments: (arguments . (string (string_fragment) @import)))
`;

const PY_DEFS = `
(function_definition name: (identifier) @name body: (_) @body) @def.function
(class_definition name: (identifier) @name body: (_) @body) @def.class
(module (expression_statement (assignment left: (identifier) @name) @def.variable))
`;

const GO_DEFS = `
(function_declaration name: (identifier) @name body: (_) @body) @def.function
(method_declaration name: (field_identifier) @name body: (_) @body) @def.method
(type_spec name: (type_identifier) @name type: (struct_type) @body) @def.class
(type_spec name: (type_identifier) @name type: (interface_type) @body) @def.interface
(type_spec name: (type_identifier) @name type: (_) @body) @def.type
(type_alias name: (type_identifier) @name type: (_) @body) @def.type
(method_elem name: (field_identifier) @name) @def.method
(field_declaration name: (field_identifier) @name) @def.field
(const_spec name: (identifier) @name) @def.variable
(var_spec name: (identifier) @name) @def.variable
`;

export const QUERIES: Readonly<Record<Grammar, { defs: string; refs: string; imports: string; comments: string }>> = {
  typescript: {
    defs: TS_DEFS,
    refs: '[(identifier) (type_identifier) (property_identifier) (shorthand_property_identifier)] @ref',
    imports: JS_IMPORTS,
    comments: '(comment) @comment',
  },
  tsx: {
    defs: TS_DEFS,
    refs: '[(identifier) (type_identifier) (property_identifier) (shorthand_property_identifier)] @ref',
    imports: JS_IMPORTS,
    comments: '(comment) @comment',
  },
  javascript: {
    defs: JS_DEFS,
    refs: '[(identifier) (property_identifier) (shorthand_property_identifier)] @ref',
    imports: JS_IMPORTS,
    comments: '(comment) @comment',
  },
  python: {
    defs: PY_DEFS,
    refs: '(identifier) @ref',
    imports: `
(import_statement name: (dotted_name) @import)
(import_statement name: (aliased_import name: (dotted_name) @import))
(import_from_statement module_name: (_) @import)
`,
    comments: '(comment) @comment',
  },
  go: {
    defs: GO_DEFS,
    refs: '[(identifier) (type_identifier) (field_identifier)] @ref',
    imports: '(import_spec path: (interpreted_string_literal) @import)',
    comments: '(comment) @comment',
  },
};
