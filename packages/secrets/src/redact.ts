/**
 * Secret detection and masking, applied wherever text leaves a trust boundary:
 * logs, prompts, events, reports, and the environment of sandboxed commands.
 */

const MASK = '[REDACTED]';

/** Shapes of well-known credentials. Each match is replaced whole. */
const TOKEN_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{40,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g,
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g,
  /\b(?:https?|postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis|amqps?|nats):\/\/[^\s:/@]+:[^\s@/]+@/g,
];

/** `NAME=value` / `"name": "value"` where the name says it is secret. */
const ASSIGNMENT =
  /\b([A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)[A-Za-z0-9_.-]*)(["']?\s*[:=]\s*["']?)([^\s"',;]{4,})/gi;

const SECRET_NAME = /(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|session|cookie)/i;

/** Whether an environment variable or field name usually holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Values of secret-looking variables, so they can be masked verbatim wherever they appear. */
export function secretValuesFrom(env: Record<string, string | undefined>): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= 6 && isSecretName(name)) values.push(value);
  }
  return values;
}

export interface RedactOptions {
  /** Exact strings to mask (e.g. values of secret environment variables). */
  knownSecrets?: readonly string[];
}

export function redactSecrets(text: string, options: RedactOptions = {}): string {
  let out = text;
  for (const secret of options.knownSecrets ?? []) {
    if (secret.length >= 6) out = out.split(secret).join(MASK);
  }
  for (const pattern of TOKEN_PATTERNS) {
    out = out.replace(pattern, (match) => (match.includes('://') ? `${match.slice(0, match.indexOf('://') + 3)}${MASK}@` : MASK));
  }
  out = out.replace(ASSIGNMENT, (_match, name: string, sep: string) => `${name}${sep}${MASK}`);
  return out;
}

/** Paths of files that exist to hold secrets; their contents never go into prompts. */
export function isSecretFile(path: string): boolean {
  const base = path.split('/').pop() ?? path;
  return (
    /^\.env(\..+)?$/.test(base) && !/\.(example|sample|template)$/.test(base)
  ) || /\.(pem|key|p12|pfx|jks|keystore)$/i.test(base) || /^id_(rsa|dsa|ecdsa|ed25519)$/.test(base) || base === '.npmrc' || base === '.netrc' || base === '.pypirc';
}
