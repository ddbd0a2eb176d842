import type { Node } from '@patchbay/grammars';
import type { LanguageSettings } from '@patchbay/config';
import type { RawFinding } from './findings.js';
import { securityRules } from './security-rules.js';
import { ancestor, calleeText, columnOf, enclosingFunction, field, isAsyncFunction, lineOf, walk } from './syntax-tree.js';

/**
 * The coder standards' checklist as rules of our own on the syntax tree: type hints, no
 * print/console logging in library code, imports at the top, error handling, no hard-coded
 * secrets (with the other security rules), documented public API, no blocking calls in
 * async code, and complexity and length per function.
 */
export interface ChecklistInput {
  file: string;
  language: string;
  root: Node;
  settings: LanguageSettings;
  /** A test file: printing, asserts and missing docs are fine there. */
  isTest: boolean;
  /** A script or binary, where printing is how the program talks. */
  printAllowed: boolean;
  /** JavaScript/TypeScript complexity comes from ESLint; the syntax tree does the rest. */
  complexityFromEslint: boolean;
}

const rule = (
  node: Node | null,
  input: ChecklistInput,
  name: string,
  dimension: RawFinding['dimension'],
  severity: RawFinding['severity'],
  message: string,
  analysis?: RawFinding['analysis'],
): RawFinding => ({
  tool: 'checklist',
  rule: name,
  severity,
  file: input.file,
  line: node ? lineOf(node) : 0,
  ...(node ? { column: columnOf(node) } : {}),
  message,
  ...(dimension ? { dimension } : {}),
  ...(analysis ? { analysis } : {}),
});

const JS_LIKE = new Set(['javascript', 'typescript']);
const JS_SYNC_IO = /^(?:fs\.)?(?:readFileSync|writeFileSync|appendFileSync|readdirSync|statSync|existsSync|execSync|spawnSync|execFileSync|copyFileSync|mkdirSync|rmSync)$|^child_process\.(?:execSync|spawnSync)$/;
const PY_BLOCKING = /^(?:time\.sleep|requests\.(?:get|post|put|delete|patch|head|request)|urllib\.request\.urlopen|urlopen|subprocess\.(?:run|call|check_output|check_call))$/;

export function checklist(input: ChecklistInput): RawFinding[] {
  const { root, settings, language } = input;
  const out: RawFinding[] = [];
  const c = settings.checklist;
  if (JS_LIKE.has(language)) {
    if (c.secrets) out.push(...securityRules(root, input.file, 'js'));
    out.push(...jsRules(input));
  } else if (language === 'python') {
    if (c.secrets) out.push(...securityRules(root, input.file, 'py'));
    out.push(...pythonRules(input));
  } else if (c.secrets) {
    out.push(...genericSecrets(input));
  }
  if (!(JS_LIKE.has(language) && input.complexityFromEslint)) out.push(...complexityRules(input));
  return out;
}

function jsRules(input: ChecklistInput): RawFinding[] {
  const out: RawFinding[] = [];
  const c = input.settings.checklist;
  for (const node of walk(input.root)) {
    if (node.type === 'call_expression') {
      const callee = calleeText(node);
      if (c.noPrint && !input.isTest && !input.printAllowed && /^console\.(?:log|info|debug|warn|error|trace|dir|table)$/.test(callee)) {
        out.push(rule(node, input, 'no-console', 'maintainability', 'warning', `${callee}() in library code: use the project's logger`));
      }
      if (c.importsAtTop && callee === 'require' && enclosingFunction(node)) {
        out.push(rule(node, input, 'import-not-at-top', 'readability', 'info', 'require() inside a function: import modules at the top of the file'));
      }
      if (c.errorHandling && /\.catch$/.test(callee)) {
        const handler = field(node, 'arguments')?.namedChildren[0];
        const body = handler && (handler.type === 'arrow_function' || handler.type === 'function_expression') ? field(handler, 'body') : null;
        if (body?.type === 'statement_block' && body.namedChildren.length === 0) {
          out.push(rule(node, input, 'swallowed-error', 'correctness', 'warning', '.catch() with an empty handler hides failures: handle the error or let it propagate'));
        }
      }
      const fn = enclosingFunction(node);
      if (fn && isAsyncFunction(fn) && JS_SYNC_IO.test(callee)) {
        out.push(rule(node, input, 'blocking-call-in-async', 'performance', 'warning', `${callee}() blocks the event loop inside an async function: use the promise API`, 'performance'));
      }
    } else if (node.type === 'catch_clause' && c.errorHandling) {
      const body = field(node, 'body');
      if (body && body.namedChildren.length === 0) {
        out.push(rule(node, input, 'empty-catch', 'correctness', 'warning', 'empty catch block hides failures: handle the error, log it with context, or rethrow'));
      }
    } else if (node.type === 'new_expression' && c.errorHandling && /^(?:Error|TypeError|RangeError)$/.test(field(node, 'constructor')?.text ?? '')) {
      const args = field(node, 'arguments');
      if (args && args.namedChildren.length === 0 && node.parent?.type === 'throw_statement') {
        out.push(rule(node, input, 'error-without-message', 'correctness', 'info', 'an error thrown without a message: say what went wrong and with which value'));
      }
    } else if (node.type === 'predefined_type' && node.text === 'any' && c.typeHints && input.language === 'typescript') {
      out.push(rule(node, input, 'no-explicit-any', 'maintainability', 'warning', 'explicit `any` turns off type checking: use a precise type or `unknown`'));
    } else if (node.type === 'export_statement' && c.docs && !input.isTest) {
      const decl = field(node, 'declaration');
      if (decl && /^(?:function_declaration|class_declaration|generator_function_declaration|abstract_class_declaration)$/.test(decl.type)) {
        const prev = node.previousSibling;
        if (!(prev?.type === 'comment' && prev.endPosition.row >= node.startPosition.row - 1)) {
          const name = field(decl, 'name')?.text ?? 'declaration';
          out.push(rule(node, input, 'undocumented-export', 'documentation', 'info', `exported ${name} has no doc comment: say what it does and returns`));
        }
      }
    }
  }
  return out;
}

function pythonRules(input: ChecklistInput): RawFinding[] {
  const out: RawFinding[] = [];
  const c = input.settings.checklist;
  let seenCode = false;
  for (const top of input.root.namedChildren) {
    if (!top) continue;
    if (top.type === 'import_statement' || top.type === 'import_from_statement' || top.type === 'future_import_statement') {
      if (seenCode && c.importsAtTop) out.push(rule(top, input, 'import-not-at-top', 'readability', 'warning', 'import after other code: keep imports at the top of the file'));
      continue;
    }
    const docstring = top.type === 'expression_statement' && top.namedChildren[0]?.type === 'string';
    const dunder = top.type === 'expression_statement' && /^__\w+__\s*=/.test(top.text);
    const guarded = (top.type === 'if_statement' || top.type === 'try_statement') && /\bimport\b/.test(top.text.split('\n')[1] ?? '');
    if (!docstring && !dunder && !guarded && top.type !== 'comment') seenCode = true;
  }
  for (const node of walk(input.root)) {
    switch (node.type) {
      case 'import_statement':
      case 'import_from_statement':
        if (c.importsAtTop && ancestor(node, ['function_definition'])) {
          out.push(rule(node, input, 'import-not-at-top', 'readability', 'warning', 'import inside a function: imports go at the top of the file'));
        }
        break;
      case 'call': {
        const callee = calleeText(node);
        if (c.noPrint && callee === 'print' && !input.isTest && !input.printAllowed) {
          out.push(rule(node, input, 'no-print', 'maintainability', 'warning', 'print() in library code: use logging (logger = logging.getLogger(__name__))'));
        }
        const fn = enclosingFunction(node);
        if (fn && isAsyncFunction(fn) && PY_BLOCKING.test(callee)) {
          out.push(rule(node, input, 'blocking-call-in-async', 'performance', 'warning', `${callee}() blocks the event loop inside async def: use an async client or asyncio.sleep / run_in_executor`, 'performance'));
        }
        break;
      }
      case 'except_clause': {
        if (!c.errorHandling) break;
        const typed = node.namedChildren.some((n) => n !== null && n.type !== 'block' && n.type !== 'comment');
        const block = node.namedChildren.find((n) => n?.type === 'block');
        if (!typed) out.push(rule(node, input, 'bare-except', 'correctness', 'warning', 'bare except: catches SystemExit and KeyboardInterrupt too; catch the exceptions you expect'));
        else if (block && block.namedChildren.every((s) => s?.type === 'pass_statement' || s?.type === 'comment')) {
          out.push(rule(node, input, 'swallowed-exception', 'correctness', 'warning', 'exception caught and ignored: handle it, log it with context, or let it propagate'));
        }
        break;
      }
      case 'function_definition': {
        const name = field(node, 'name')?.text ?? '';
        if (c.typeHints && !input.isTest) {
          const params = field(node, 'parameters')?.namedChildren ?? [];
          const untyped = params.filter((p) => p !== null && (p.type === 'identifier' || p.type === 'default_parameter') && !/^(?:self|cls)$/.test(p.type === 'identifier' ? p.text : (field(p, 'name')?.text ?? '')));
          const noReturn = !field(node, 'return_type') && name !== '__init__';
          if (untyped.length > 0 || noReturn) {
            const what = [untyped.length > 0 ? `parameters ${untyped.map((p) => (p?.type === 'identifier' ? p.text : field(p as Node, 'name')?.text)).join(', ')}` : '', noReturn ? 'the return type' : ''].filter(Boolean).join(' and ');
            out.push(rule(node, input, 'type-hints', 'maintainability', 'warning', `${name}() lacks type hints for ${what}`));
          }
        }
        if (c.docs && !input.isTest && !name.startsWith('_') && node.parent?.type === 'module') {
          const first = field(node, 'body')?.namedChildren[0];
          if (!(first?.type === 'expression_statement' && first.namedChildren[0]?.type === 'string')) {
            out.push(rule(node, input, 'missing-docstring', 'documentation', 'info', `public function ${name}() has no docstring`));
          }
        }
        break;
      }
      case 'raise_statement': {
        const call = node.namedChildren[0];
        if (c.errorHandling && call?.type === 'call' && /^(?:Exception|ValueError|RuntimeError)$/.test(calleeText(call)) && (field(call, 'arguments')?.namedChildren.length ?? 0) === 0) {
          out.push(rule(node, input, 'error-without-message', 'correctness', 'info', 'an exception raised without a message: say what went wrong and with which value'));
        }
        break;
      }
    }
  }
  return out;
}

const SECRET_LINE = /\b([A-Za-z_][A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY)[A-Za-z0-9_]*)\s*[:=]\s*["']([^"'$\s]{8,})["']/i;

/** Languages without our own tree rules: secrets by their assignment shape on string nodes. */
function genericSecrets(input: ChecklistInput): RawFinding[] {
  const out: RawFinding[] = [];
  const lines = input.root.text.split('\n');
  lines.forEach((text, i) => {
    const m = SECRET_LINE.exec(text);
    if (m && !/^(?:changeme|example|placeholder|x+|\*+)$/i.test(m[2] ?? '')) {
      out.push({ tool: 'checklist', rule: 'security/hardcoded-secret', severity: 'error', file: input.file, line: i + 1, message: `"${m[1]}" is set to a literal: read secrets from the environment or a secret store`, dimension: 'security', analysis: 'security', category: 'hardcoded-secret' });
    }
  });
  return out;
}

/** Decision points per function: branches, loops, handlers, short-circuits, ternaries. */
const FUNCTIONS: Record<string, readonly string[]> = {
  python: ['function_definition'],
  javascript: ['function_declaration', 'function_expression', 'arrow_function', 'method_definition'],
  typescript: ['function_declaration', 'function_expression', 'arrow_function', 'method_definition'],
  go: ['function_declaration', 'method_declaration', 'func_literal'],
  rust: ['function_item', 'closure_expression'],
  java: ['method_declaration', 'constructor_declaration', 'lambda_expression'],
  ruby: ['method', 'singleton_method'],
  shell: ['function_definition'],
};
const DECISIONS = new Set([
  'if_statement', 'elif_clause', 'for_statement', 'for_in_statement', 'while_statement', 'do_statement', 'except_clause', 'catch_clause',
  'conditional_expression', 'ternary_expression', 'switch_case', 'case_clause', 'expression_case', 'type_case', 'communication_case',
  'if_expression', 'match_arm', 'while_expression', 'for_expression', 'loop_expression', 'if', 'elsif', 'unless', 'while', 'until', 'for', 'when', 'rescue',
  'enhanced_for_statement', 'switch_label', 'catch_clause', 'if_clause', 'case_item', 'elif_clause',
]);
const BOOLEAN_OPS = /^(?:and|or|&&|\|\||\?\?)$/;

function complexityRules(input: ChecklistInput): RawFinding[] {
  const types = FUNCTIONS[input.language];
  if (!types) return [];
  const out: RawFinding[] = [];
  for (const fn of walk(input.root)) {
    if (!types.includes(fn.type)) continue;
    let complexity = 1;
    const stack = [...fn.namedChildren];
    while (stack.length > 0) {
      const node = stack.pop();
      if (!node) continue;
      if (types.includes(node.type)) continue; // nested functions count on their own
      if (DECISIONS.has(node.type)) complexity += 1;
      if ((node.type === 'boolean_operator' || node.type === 'binary_expression') && BOOLEAN_OPS.test(node.children.find((c) => c && !c.isNamed && BOOLEAN_OPS.test(c.text))?.text ?? '')) complexity += 1;
      stack.push(...node.namedChildren.filter((c): c is Node => c !== null));
    }
    const name = field(fn, 'name')?.text ?? 'anonymous function';
    if (complexity > input.settings.complexity) {
      out.push({ tool: 'complexity', rule: 'complexity:function', severity: 'warning', file: input.file, line: lineOf(fn), message: `${name} has a cyclomatic complexity of ${complexity} (at most ${input.settings.complexity}): split it up`, dimension: 'maintainability' });
    }
    const lines = fn.endPosition.row - fn.startPosition.row + 1;
    if (lines > input.settings.functionLines) {
      out.push({ tool: 'complexity', rule: 'complexity:length', severity: 'info', file: input.file, line: lineOf(fn), message: `${name} is ${lines} lines long (at most ${input.settings.functionLines})`, dimension: 'maintainability' });
    }
  }
  return out;
}
