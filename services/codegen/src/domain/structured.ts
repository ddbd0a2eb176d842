import { z } from 'zod';
import type { Edit, ParsedAnswer } from './edits.js';

/** Edits as JSON, for models that support structured output (Ollama `format`, OpenAI `response_format`). */
export const StructuredAnswer = z.object({
  edits: z
    .array(
      z.object({
        path: z.string().min(1).describe('File path relative to the repository root'),
        search: z.string().describe('The exact lines to replace, copied from the file; empty to create a new file'),
        replace: z.string().describe('The lines to put in their place; for a new file, its whole content'),
      }),
    )
    .min(1),
});
export type StructuredAnswer = z.infer<typeof StructuredAnswer>;

/** The JSON Schema handed to the model server. */
export function structuredAnswerSchema(): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(StructuredAnswer) as Record<string, unknown>;
  return schema;
}

/** Reads a JSON answer into the same edits as the text format, or says what is wrong with it. */
export function parseStructuredEdits(answer: string): ParsedAnswer {
  // Some servers wrap JSON in a fence even when asked for bare JSON.
  const text = answer.trim().replace(/^```(?:json)?\s*\n([\s\S]*?)\n?```$/, '$1');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { edits: [], errors: [`the answer is not valid JSON (${(err as Error).message}); reply with one JSON object {"edits": [...]} and nothing else`] };
  }
  const parsed = StructuredAnswer.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { edits: [], errors: [`the JSON answer does not follow the schema: ${issues.join('; ')}`] };
  }
  const edits: Edit[] = parsed.data.edits.map((e) =>
    e.search.trim() === ''
      ? { kind: 'create', path: e.path, content: e.replace.endsWith('\n') ? e.replace : `${e.replace}\n` }
      : { kind: 'replace', path: e.path, search: e.search.replace(/\n$/, ''), replace: e.replace.replace(/\n$/, '') },
  );
  return { edits, errors: [] };
}
