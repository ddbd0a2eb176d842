import { Objm, type ObjectStore } from '@nats-io/obj';
import type { z } from 'zod';
import { buckets } from '@patchbay/contracts';
import { InputError, NotFoundError } from '@patchbay/errors';
import type { Bus } from './connection.js';

/** Payloads too large for messages; messages carry the name. */
export interface Artifacts {
  put(name: string, data: string | Uint8Array): Promise<string>;
  putJson(name: string, value: unknown): Promise<string>;
  get(name: string): Promise<Uint8Array>;
  getText(name: string): Promise<string>;
  getJson<T extends z.ZodType>(name: string, schema: T): Promise<z.output<T>>;
  has(name: string): Promise<boolean>;
}

export async function openArtifacts(bus: Bus): Promise<Artifacts> {
  const store: ObjectStore = await new Objm(bus.js).open(buckets.artifacts);
  const encoder = new TextEncoder();
  const get = async (name: string) => {
    const data = await store.getBlob(name);
    if (data === null) throw new NotFoundError(`artifact ${name} does not exist`);
    return data;
  };
  const api: Artifacts = {
    async put(name, data) {
      await store.putBlob({ name }, typeof data === 'string' ? encoder.encode(data) : data);
      return name;
    },
    putJson: (name, value) => api.put(name, JSON.stringify(value)),
    get,
    getText: async (name) => new TextDecoder().decode(await get(name)),
    async getJson(name, schema) {
      const result = schema.safeParse(JSON.parse(await api.getText(name)));
      if (!result.success) throw new InputError(`artifact ${name} does not match its schema: ${result.error.message}`);
      return result.data;
    },
    has: async (name) => (await store.info(name)) !== null,
  };
  return api;
}
