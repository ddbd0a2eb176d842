import { z } from 'zod';
import { Envelope } from './envelope.js';
import { eventSchemas, publicEventTypes } from './registry.js';

/** JSON Schema (draft 2020-12) of every public event: the envelope with its typed `data`. */
export function publicJsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const type of publicEventTypes) {
    const schema = Envelope.extend({ type: z.literal(type), data: eventSchemas[type] });
    out[type] = {
      $id: `https://patchbay.dev/schemas/${type}.json`,
      title: type,
      ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    };
  }
  return out;
}
