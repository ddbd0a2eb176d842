import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TaskId } from './common.js';

/**
 * Discovery board entry types, with the field that deduplicates them
 * (null: one entry per repository) and the data fields they require.
 */
export const BOARD_TYPES = {
  tech_stack: { key: null, required: ['languages'] },
  architecture: { key: null, required: ['pattern'] },
  code_pattern: { key: 'name', required: ['name', 'description'] },
  integration_point: { key: 'file', required: ['file', 'description'] },
  similar_impl: { key: 'feature', required: ['feature', 'files'] },
  test_baseline: { key: null, required: ['total', 'passing'] },
  test_command: { key: null, required: ['unit'] },
  code_convention: { key: null, required: ['naming', 'imports', 'formatting'] },
  utility: { key: 'name', required: ['name', 'file', 'usage'] },
  blocker: { key: 'issue', required: ['issue', 'severity', 'impact'] },
} as const satisfies Record<string, { key: string | null; required: readonly string[] }>;
export type BoardType = keyof typeof BOARD_TYPES;
export const BoardTypeSchema = z.enum(Object.keys(BOARD_TYPES) as [BoardType, ...BoardType[]]);

const requiredFields = (type: BoardType) =>
  z.record(z.string(), z.unknown()).superRefine((data, ctx) => {
    for (const field of BOARD_TYPES[type].required) {
      if (data[field] === undefined || data[field] === null || data[field] === '') {
        ctx.addIssue({ code: 'custom', message: `${type} requires data.${field}`, path: [field] });
      }
    }
    if (type === 'blocker' && !['high', 'medium', 'low'].includes(String(data['severity']))) {
      ctx.addIssue({ code: 'custom', message: 'blocker severity is high, medium or low', path: ['severity'] });
    }
  });

/** The shape of the seed's discoveries.ndjson lines, plus where the finding came from. */
export const BoardEntry = z
  .object({
    ts: z.iso.datetime({ offset: true }),
    agent: z.string().min(1),
    type: BoardTypeSchema,
    data: z.record(z.string(), z.unknown()),
    repo: z.string().describe('Repository the finding is about'),
    commit: z.string().optional().describe('Commit the finding was seen at'),
    files: z.array(z.string()).optional().describe('Files the finding came from'),
    sources: z
      .array(z.object({ path: z.string(), blob: z.string() }))
      .optional()
      .describe(
        'Blob hashes of the files the finding came from when it was made. They are part of its key: a changed source makes a new version, written once; readers take the newest version whose sources still match.',
      ),
  })
  .superRefine((entry, ctx) => {
    const result = requiredFields(entry.type).safeParse(entry.data);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: ['data', ...issue.path] });
    }
  });
export type BoardEntry = z.infer<typeof BoardEntry>;

/** Dedup key value of an entry: the value of its key field, or null for singletons. */
export function boardDedupKey(type: BoardType, data: Record<string, unknown>): string | null {
  const field = BOARD_TYPES[type].key;
  if (field === null) return null;
  const value = data[field];
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Changes log: one entry per file changed per attempt (seed's changes.log schema). */
export const ChangeEntry = z.object({
  timestamp: z.iso.datetime({ offset: true }),
  iteration: z.number().int().positive(),
  file: z.string(),
  action: z.enum(['create', 'modify', 'delete']),
  task: TaskId,
  description: z.string(),
  lines_added: z.number().int().nonnegative(),
  lines_removed: z.number().int().nonnegative(),
});
export type ChangeEntry = z.infer<typeof ChangeEntry>;

/** Debug log: one hypothesis-experiment-conclusion step (seed's debug-log.ndjson schema). */
export const DebugEntry = z.object({
  timestamp: z.iso.datetime({ offset: true }),
  iteration: z.number().int().positive(),
  issue_id: z.string(),
  file: z.string(),
  hypothesis: z.string(),
  action: z.string(),
  observation: z.string(),
  outcome: z.enum(['confirmed', 'refuted', 'inconclusive']),
});
export type DebugEntry = z.infer<typeof DebugEntry>;

/** What a service could not handle, kept with the reason and the original bytes. */
export const DeadLetter = z.object({
  service: z.string(),
  subject: z.string(),
  reason: z.enum(['not_json', 'invalid_envelope', 'unknown_type', 'invalid_data', 'handler_failed']),
  error: z.string(),
  payload: z.string(),
  payloadEncoding: z.enum(['utf8', 'base64']),
  deliveryCount: z.number().int().nonnegative(),
  receivedAt: z.iso.datetime({ offset: true }),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/**
 * Stable subject token for a repository: a hash of its URL or absolute path, so one
 * repository's board entries share a prefix whatever characters the URL holds.
 */
export function repoKey(url: string): string {
  const normalized = url.trim().replace(/\/+$/, '').replace(/\.git$/, '');
  return createHash('sha256').update(normalized).digest('hex').slice(0, 16);
}

/** Subject token for a dedup key value; `singleton` for types with one entry per repository. */
export function boardKeyToken(key: string | null, sources?: ReadonlyArray<{ path: string; blob: string }>): string {
  if (sources === undefined) return key === null ? 'singleton' : createHash('sha256').update(key).digest('hex').slice(0, 16);
  return createHash('sha256').update(`${key ?? ''}\0${sourcesFingerprint(sources)}`).digest('hex').slice(0, 16);
}

/** One hash for a set of (path, blob) pairs, whatever their order. */
export function sourcesFingerprint(sources: ReadonlyArray<{ path: string; blob: string }>): string {
  const lines = sources.map((s) => `${s.path}\0${s.blob}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}
