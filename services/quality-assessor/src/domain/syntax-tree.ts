import type { Node } from '@patchbay/grammars';

/** Small helpers over tree-sitter nodes shared by the checklist, taint and complexity rules. */

export function* walk(root: Node): Generator<Node> {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    yield node;
    const children = node.namedChildren;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child) stack.push(child);
    }
  }
}

export const lineOf = (node: Node) => node.startPosition.row + 1;
export const columnOf = (node: Node) => node.startPosition.column + 1;

export function ancestor(node: Node, types: readonly string[]): Node | null {
  for (let p = node.parent; p; p = p.parent) if (types.includes(p.type)) return p;
  return null;
}

export function field(node: Node, name: string): Node | null {
  return node.childForFieldName(name);
}

/** The callee of a call as written, e.g. `child_process.exec` or `cursor.execute`. */
export function calleeText(call: Node): string {
  return (field(call, 'function')?.text ?? field(call, 'constructor')?.text ?? '').replace(/\s+/g, '');
}

/** The last segment of a dotted callee: `execute` for `self.cur.execute`. */
export function calleeName(call: Node): string {
  return calleeText(call).split(/[.?]+/).pop() ?? '';
}

export function argumentsOf(call: Node): Node[] {
  const args = field(call, 'arguments');
  return args ? args.namedChildren.filter((n): n is Node => n !== null && n.type !== 'comment') : [];
}

/** Positional arguments (Python keyword arguments excluded). */
export function positional(call: Node): Node[] {
  return argumentsOf(call).filter((a) => a.type !== 'keyword_argument');
}

export function keywordArgument(call: Node, name: string): Node | null {
  for (const arg of argumentsOf(call)) {
    if (arg.type === 'keyword_argument' && field(arg, 'name')?.text === name) return field(arg, 'value');
  }
  return null;
}

/** The value of `key` in a JavaScript object literal among the call's arguments. */
export function objectProperty(call: Node, key: string): Node | null {
  for (const arg of argumentsOf(call)) {
    if (arg.type !== 'object') continue;
    for (const pair of arg.namedChildren) {
      if (pair?.type === 'pair' && stripQuotes(field(pair, 'key')?.text ?? '') === key) return field(pair, 'value');
    }
  }
  return null;
}

export const stripQuotes = (text: string) => text.replace(/^[rRbBuUfF]*(["'`]{1,3})([\s\S]*)\1$/, '$2');

/** A string with no interpolation: the value is fixed in the source. */
export function isStaticString(node: Node): boolean {
  if (node.type === 'string') return !node.namedChildren.some((c) => c?.type === 'interpolation' || c?.type === 'template_substitution');
  if (node.type === 'template_string') return !node.namedChildren.some((c) => c?.type === 'template_substitution');
  if (node.type === 'concatenated_string') return node.namedChildren.every((c) => c !== null && isStaticString(c));
  return false;
}

/** The text of a static string without its quotes. */
export function stringValue(node: Node): string | undefined {
  if (!isStaticString(node)) return undefined;
  const content = node.namedChildren.filter((c) => c?.type === 'string_fragment' || c?.type === 'string_content').map((c) => c?.text ?? '');
  return content.length > 0 ? content.join('') : stripQuotes(node.text);
}

export function isLiteral(node: Node): boolean {
  return isStaticString(node) || ['number', 'integer', 'float', 'true', 'false', 'null', 'none', 'undefined'].includes(node.type);
}

const FUNCTION_TYPES = [
  'function_declaration',
  'function_expression',
  'arrow_function',
  'method_definition',
  'generator_function_declaration',
  'function_definition',
  'lambda',
];

export const enclosingFunction = (node: Node) => ancestor(node, FUNCTION_TYPES);

export function isAsyncFunction(fn: Node): boolean {
  return fn.children.some((c) => c?.type === 'async');
}
