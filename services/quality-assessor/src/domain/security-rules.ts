import type { Node } from '@patchbay/grammars';
import { isSecretName } from '@patchbay/secrets';
import type { RawFinding } from './findings.js';
import {
  argumentsOf,
  calleeName,
  calleeText,
  columnOf,
  enclosingFunction,
  field,
  isLiteral,
  isStaticString,
  keywordArgument,
  lineOf,
  objectProperty,
  positional,
  stringValue,
  stripQuotes,
  walk,
} from './syntax-tree.js';

/**
 * Our own security rules on the syntax tree of JavaScript, TypeScript and Python, for the
 * classes the seed's security analysis names: code built from input and evaluated, shell
 * commands built from input, SQL built by concatenation, paths from requests, hard-coded
 * secrets, weak hashes and disabled TLS checks. A light data flow: a value is "built" when it
 * is a concatenation, template or f-string with a non-literal part, and "from input" when it
 * reads a request, argv or input(); local variables are followed to their last assignment.
 */

type Flavor = 'js' | 'py';

interface Scope {
  flavor: Flavor;
  /** Name → the expressions assigned to it, in source order. */
  assignments: Map<string, Node[]>;
}

const SQL = /^\s*(?:SELECT|INSERT|UPDATE|DELETE|REPLACE|MERGE|CREATE|DROP|ALTER|TRUNCATE|WITH)\b/i;
const SQL_SINKS = new Set(['query', 'execute', 'executemany', 'executescript', 'exec', 'raw', 'run', 'all', 'get', 'prepare', 'unsafe', '$queryRawUnsafe', '$executeRawUnsafe', 'text', 'each', 'one', 'any', 'none', 'many', 'oneOrNone', 'manyOrNone']);
const JS_SOURCES = /^(?:req|request|ctx\.request|ctx\.query|ctx\.params|event|process\.argv|location|document\.location|url\.searchParams|searchParams|params|query|body)\b/;
const JS_SOURCE_CALLS = /^(?:prompt|readline\.question|rl\.question|url\.searchParams\.get|searchParams\.get|new URLSearchParams)/;
const PY_SOURCES = /^(?:request\.|sys\.argv|flask\.request|self\.request)/;
const PY_SOURCE_CALLS = /^(?:input|raw_input|request\.(?:args|form|values|json|get_json|files|cookies|headers)(?:\.get)?|sys\.stdin\.read(?:line)?)$/;
const SANITIZERS = /(?:^|\.)(?:basename|quote|escape|escapeShellArg|shellescape|shlex\.quote|escape_string|parseInt|parseFloat|Number|int|float|encodeURIComponent|sanitize\w*|validate\w*|secure_filename)$/;
const FS_SINKS = new Set([
  'readFile', 'readFileSync', 'writeFile', 'writeFileSync', 'appendFile', 'appendFileSync', 'createReadStream', 'createWriteStream',
  'unlink', 'unlinkSync', 'rm', 'rmSync', 'readdir', 'readdirSync', 'stat', 'statSync', 'open', 'openSync', 'sendFile', 'download', 'copyFile', 'copyFileSync',
]);
const FS_RECEIVERS = /^(?:fs|fsp|fs\.promises|promises|res|response|reply|fse)$/;
const PY_FS_SINKS = /^(?:open|io\.open|os\.remove|os\.unlink|shutil\.rmtree|send_file|send_from_directory|os\.listdir|pathlib\.Path|Path|codecs\.open)$/;

const finding = (node: Node, file: string, rule: string, category: string, severity: RawFinding['severity'], message: string): RawFinding => ({
  tool: 'checklist',
  rule: `security/${rule}`,
  severity,
  file,
  line: lineOf(node),
  column: columnOf(node),
  message,
  dimension: 'security',
  analysis: 'security',
  category,
});

function collectAssignments(root: Node, flavor: Flavor): Map<string, Node[]> {
  const map = new Map<string, Node[]>();
  const add = (name: string | undefined, value: Node | null) => {
    if (!name || !value) return;
    const list = map.get(name) ?? [];
    list.push(value);
    map.set(name, list);
  };
  for (const node of walk(root)) {
    if (flavor === 'js' && node.type === 'variable_declarator') add(field(node, 'name')?.text, field(node, 'value'));
    else if (node.type === 'assignment_expression' || node.type === 'assignment' || node.type === 'augmented_assignment') {
      const left = field(node, 'left');
      if (left?.type === 'identifier') add(left.text, field(node, 'right'));
    }
  }
  return map;
}

/** The expression last assigned to an identifier before `at`, if it is a local name. */
function resolve(node: Node, scope: Scope, depth = 0): Node {
  if (node.type !== 'identifier' || depth > 4) return node;
  const values = scope.assignments.get(node.text);
  if (!values) return node;
  const before = values.filter((v) => v.startIndex < node.startIndex);
  const last = before.at(-1) ?? values.at(-1);
  return last && last !== node ? resolve(last, scope, depth + 1) : node;
}

function parts(node: Node): Node[] {
  if (node.type === 'binary_expression' || node.type === 'binary_operator') {
    const out: Node[] = [];
    for (const side of [field(node, 'left'), field(node, 'right')]) if (side) out.push(...parts(side));
    return out;
  }
  if (node.type === 'parenthesized_expression' && node.namedChildren[0]) return parts(node.namedChildren[0]);
  return [node];
}

/** Whether the value is a string put together from something that is not a literal. */
function isBuilt(raw: Node, scope: Scope, depth = 0): boolean {
  const node = resolve(raw, scope);
  if (depth > 4) return false;
  if (node.type === 'template_string' || node.type === 'string') {
    return node.namedChildren.some((c) => c?.type === 'template_substitution' || c?.type === 'interpolation');
  }
  if (node.type === 'binary_expression' || node.type === 'binary_operator') {
    const op = node.children.find((c) => c && !c.isNamed)?.text;
    if (op !== '+' && op !== '%') return false;
    const ps = parts(node);
    const hasString = ps.some((p) => p.type === 'string' || p.type === 'template_string' || isBuilt(p, scope, depth + 1));
    const hasDynamic = ps.some((p) => !isLiteral(resolve(p, scope)) || isBuilt(p, scope, depth + 1));
    return hasString && hasDynamic;
  }
  if (node.type === 'call' || node.type === 'call_expression') {
    const callee = calleeText(node);
    if (/\.format$|^util\.format$|^format$|\.concat$|\.join$|\.replace$/.test(callee)) {
      return argumentsOf(node).some((a) => !isLiteral(resolve(a, scope)));
    }
  }
  return false;
}

/** Whether the value reads a request, argv or input(), directly or through local variables. */
function fromInput(raw: Node, scope: Scope, depth = 0): boolean {
  if (depth > 5) return false;
  const node = resolve(raw, scope);
  if (node.type === 'call' || node.type === 'call_expression') {
    const callee = calleeText(node);
    if (SANITIZERS.test(callee)) return false;
    if (scope.flavor === 'py' ? PY_SOURCE_CALLS.test(callee) : JS_SOURCE_CALLS.test(callee)) return true;
    if (scope.flavor === 'py' && PY_SOURCES.test(callee)) return true;
  }
  const text = node.text.replace(/\s+/g, '');
  if (node.type === 'member_expression' || node.type === 'subscript_expression' || node.type === 'attribute' || node.type === 'subscript') {
    if (scope.flavor === 'js' ? JS_SOURCES.test(text) : PY_SOURCES.test(text)) return true;
  }
  if (node.type === 'identifier' && node !== raw) return false;
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'arguments' || child.type === 'argument_list') {
      // A call passes input through unless it is a sanitiser (checked above).
      if (child.namedChildren.some((a) => a !== null && fromInput(a, scope, depth + 1))) return true;
      continue;
    }
    if (fromInput(child, scope, depth + 1)) return true;
  }
  return false;
}

/** A path check in the same function: resolve then startsWith, or a realpath comparison. */
function checksPathInside(node: Node): boolean {
  const fn = enclosingFunction(node) ?? node.tree.rootNode;
  return /\.startsWith\(|\.startswith\(|is_relative_to\(|commonpath\(|relative\([^)]*\)\.startsWith/.test(fn.text);
}

function isUntrusted(node: Node, scope: Scope): boolean {
  return isBuilt(node, scope) || fromInput(node, scope);
}

const PLACEHOLDER = /^(?:<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|x+|\*+|\.+|-+|changeme_placeholder|your[_-]?\w*|example\w*|dummy|placeholder|redacted|none|null|undefined|true|false)$/i;
const NOT_A_SECRET_NAME = /(?:url|uri|endpoint|path|file|dir|name|type|field|header|length|len|regex|pattern|env|var|key_?id|label|prompt|message|hint|placeholder|format|policy|count|limit|ttl|expiry|expires|timeout|strategy|mode|kind)$/i;
const TOKEN_SHAPES = [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/, /\bgh[pousr]_[A-Za-z0-9]{30,}\b/, /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/, /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, /\bAIza[0-9A-Za-z_-]{35}\b/];

function secretAssignment(name: string, value: Node | null): boolean {
  if (!value) return false;
  const text = stringValue(value);
  if (text === undefined || text.length < 6 || PLACEHOLDER.test(text) || /^[A-Z][A-Z0-9_]+$/.test(text)) return false;
  const bare = stripQuotes(name).replace(/^.*[.]/, '');
  return isSecretName(bare) && !NOT_A_SECRET_NAME.test(bare) && !/^(?:session|cookie|auth)$/i.test(bare);
}

export function securityRules(root: Node, file: string, flavor: Flavor): RawFinding[] {
  const scope: Scope = { flavor, assignments: collectAssignments(root, flavor) };
  const out: RawFinding[] = [];
  for (const node of walk(root)) {
    const isCall = node.type === 'call_expression' || node.type === 'call' || node.type === 'new_expression';
    if (isCall) out.push(...callRules(node, file, scope));
    out.push(...secretRules(node, file, flavor));
    out.push(...tlsRules(node, file, flavor));
  }
  return out;
}

function callRules(call: Node, file: string, scope: Scope): RawFinding[] {
  const out: RawFinding[] = [];
  const callee = calleeText(call);
  const name = calleeName(call);
  const args = positional(call);
  const first = args[0];
  const js = scope.flavor === 'js';

  // Code built from input and evaluated.
  const evalLike = js
    ? /^(?:eval|window\.eval|globalThis\.eval|Function|vm\.runIn(?:New|This)?Context|vm\.compileFunction|runInNewContext|runInThisContext)$/.test(callee) ||
      (call.type === 'new_expression' && callee === 'Function') ||
      (/^(?:setTimeout|setInterval|setImmediate)$/.test(callee) && first !== undefined && (first.type === 'string' || first.type === 'template_string' || first.type === 'binary_expression'))
    : /^(?:eval|exec|builtins\.eval|builtins\.exec)$/.test(callee);
  if (evalLike && first && !isStaticString(first) && (isUntrusted(first, scope) || first.type === 'identifier' || first.type.includes('member') || first.type === 'attribute' || first.type === 'subscript')) {
    out.push(finding(call, file, 'eval-input', 'code-injection', 'error', `${callee}() runs code built at run time; never evaluate input — parse it (JSON.parse / ast.literal_eval) or map it to known operations`));
  }

  // Shell commands built from input.
  if (first) {
    const shellCall = js
      ? /^(?:(?:child_process|cp|childProcess)\.)?(?:exec|execSync)$/.test(callee) ||
        (/^(?:(?:child_process|cp|childProcess)\.)?(?:spawn|spawnSync|execFile|execFileSync)$/.test(callee) && objectProperty(call, 'shell')?.type === 'true')
      : /^(?:os\.system|os\.popen|commands\.getoutput|commands\.getstatusoutput|subprocess\.getoutput|subprocess\.getstatusoutput)$/.test(callee) ||
        (/^subprocess\.(?:run|call|check_call|check_output|Popen)$/.test(callee) && keywordArgument(call, 'shell')?.type === 'true');
    if (shellCall && !isStaticString(first) && first.type !== 'list' && first.type !== 'array' && isUntrusted(first, scope)) {
      out.push(finding(call, file, 'shell-command-from-input', 'command-injection', 'error', `${callee}() runs a shell command built from variables: pass the program and its arguments as a list (execFile / subprocess.run([...])) without a shell`));
    }
  }

  // SQL built by concatenation, templates or formatting.
  if (first && SQL_SINKS.has(name) && name !== callee) {
    const value = resolve(first, scope);
    const sqlText = value.type === 'binary_expression' || value.type === 'binary_operator' ? parts(value).map((p) => stringValue(p) ?? p.text).join('') : value.text;
    if (isBuilt(first, scope) && SQL.test(stripQuotes(sqlText).replace(/^f?["'`]+/, ''))) {
      out.push(finding(call, file, 'sql-built-from-strings', 'sql-injection', 'error', `${callee}() gets SQL put together from strings: use placeholders and pass the values separately`));
    }
  }

  // Paths from requests.
  const fsSink = js
    ? FS_SINKS.has(name) && (name === callee || FS_RECEIVERS.test(callee.slice(0, -(name.length + 1))))
    : PY_FS_SINKS.test(callee);
  if (fsSink && first && fromInput(first, scope) && !checksPathInside(call)) {
    out.push(finding(call, file, 'path-from-input', 'path-traversal', 'error', `${callee}() opens a path taken from the request: keep only the base name, or resolve it and check it stays inside the allowed directory`));
  }

  // Weak hashes.
  if (js && /(?:^|\.)createHash$/.test(callee) && first && /^(?:md4|md5|sha1|md5-sha1|ripemd160)$/i.test(stringValue(first) ?? '')) {
    out.push(finding(call, file, 'weak-hash', 'weak-hash', 'warning', `${stringValue(first)} is broken for security uses: use SHA-256 (or bcrypt/scrypt/argon2 for passwords)`));
  }
  if (!js) {
    const weak = /^(?:hashlib\.)?(?:md5|sha1|md4)$/.test(callee) || (/^hashlib\.new$/.test(callee) && first && /^(?:md4|md5|sha1)$/i.test(stringValue(first) ?? ''));
    const notForSecurity = keywordArgument(call, 'usedforsecurity')?.type === 'false';
    if (weak && callee.includes('hashlib') && !notForSecurity) {
      out.push(finding(call, file, 'weak-hash', 'weak-hash', 'warning', `${callee}() is a broken hash for security uses: use hashlib.sha256 (or a password hash); pass usedforsecurity=False for checksums`));
    }
    if (/^(?:ssl\._create_unverified_context|ssl\._create_stdlib_context)$/.test(callee)) {
      out.push(finding(call, file, 'tls-verification-disabled', 'tls-disabled', 'error', `${callee}() turns off certificate checks`));
    }
    const verify = keywordArgument(call, 'verify');
    if (verify?.type === 'false') {
      out.push(finding(verify, file, 'tls-verification-disabled', 'tls-disabled', 'error', `verify=False turns off certificate checks for ${callee}(): keep verification on (pass a CA bundle if needed)`));
    }
  }
  return out;
}

function secretRules(node: Node, file: string, flavor: Flavor): RawFinding[] {
  let name: string | undefined;
  let value: Node | null = null;
  if (flavor === 'js' && node.type === 'variable_declarator') [name, value] = [field(node, 'name')?.text, field(node, 'value')];
  else if (node.type === 'pair') [name, value] = [field(node, 'key')?.text, field(node, 'value')];
  else if (node.type === 'assignment_expression' || node.type === 'assignment') [name, value] = [field(node, 'left')?.text, field(node, 'right')];
  else if (node.type === 'keyword_argument') [name, value] = [field(node, 'name')?.text, field(node, 'value')];
  else if (node.type === 'public_field_definition' || node.type === 'field_definition') [name, value] = [field(node, 'name')?.text ?? field(node, 'property')?.text, field(node, 'value')];
  if (name !== undefined && secretAssignment(name, value) && value) {
    return [finding(value, file, 'hardcoded-secret', 'hardcoded-secret', 'error', `"${stripQuotes(name)}" is set to a literal: read secrets from the environment or a secret store`)];
  }
  if ((node.type === 'string' || node.type === 'template_string') && node.parent?.type !== 'pair') {
    const text = node.text;
    if (TOKEN_SHAPES.some((re) => re.test(text))) {
      return [finding(node, file, 'hardcoded-secret', 'hardcoded-secret', 'error', 'a credential is written into the code: read it from the environment or a secret store')];
    }
  }
  return [];
}

function tlsRules(node: Node, file: string, flavor: Flavor): RawFinding[] {
  if (flavor === 'js') {
    if (node.type === 'pair') {
      const key = stripQuotes(field(node, 'key')?.text ?? '');
      const value = field(node, 'value');
      if ((key === 'rejectUnauthorized' || key === 'strictSSL') && value?.type === 'false') {
        return [finding(node, file, 'tls-verification-disabled', 'tls-disabled', 'error', `${key}: false turns off certificate checks: keep it on and pass the CA (ca: ...) instead`)];
      }
    }
    if (node.type === 'assignment_expression' && /NODE_TLS_REJECT_UNAUTHORIZED/.test(field(node, 'left')?.text ?? '')) {
      const right = field(node, 'right');
      if (right && /^["'`]?0["'`]?$/.test(right.text)) {
        return [finding(node, file, 'tls-verification-disabled', 'tls-disabled', 'error', 'NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks for the whole process')];
      }
    }
    return [];
  }
  if (node.type === 'assignment') {
    const left = field(node, 'left')?.text ?? '';
    const right = field(node, 'right');
    if (/\.check_hostname$/.test(left) && right?.type === 'false') {
      return [finding(node, file, 'tls-verification-disabled', 'tls-disabled', 'error', 'check_hostname = False turns off host name checks')];
    }
    if (/\.verify_mode$/.test(left) && /CERT_NONE$/.test(right?.text ?? '')) {
      return [finding(node, file, 'tls-verification-disabled', 'tls-disabled', 'error', 'verify_mode = CERT_NONE turns off certificate checks')];
    }
  }
  return [];
}
