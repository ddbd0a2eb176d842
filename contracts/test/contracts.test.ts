import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import {
  type ConsumerSpec,
  buckets,
  consumers,
  createEvent,
  eventTypes,
  isSubjectToken,
  parseEvent,
  publicEventTypes,
  publicJsonSchemas,
  streams,
  subjects,
} from '@patchbay/contracts';

const SCHEMA_DIR = new URL('../schemas/', import.meta.url);

describe('exported JSON Schemas', () => {
  it('are up to date with the zod contracts (run `npm run schemas` after changing one)', () => {
    const fresh = publicJsonSchemas();
    const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(publicEventTypes.map((t) => `${t}.json`).sort());
    for (const type of publicEventTypes) {
      const committed = JSON.parse(readFileSync(new URL(`${type}.json`, SCHEMA_DIR), 'utf8')) as unknown;
      expect(committed, `${type}.json is stale`).toEqual(JSON.parse(JSON.stringify(fresh[type])));
    }
  });

  it('accept what patchbay publishes and reject what it would refuse, in a non-TypeScript validator', () => {
    const ajv = new Ajv2020({ strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const schema = JSON.parse(readFileSync(new URL(`${eventTypes.taskSubmitted}.json`, SCHEMA_DIR), 'utf8')) as object;
    const validate = ajv.compile(schema);
    const event = createEvent(eventTypes.taskSubmitted, { title: 'Fix the bug', repo: { url: '/srv/repo' } }, { source: 'test', id: 'task-1' });
    expect(validate(JSON.parse(JSON.stringify(event)))).toBe(true);
    expect(validate({ ...event, data: { title: '', repo: { url: '/srv/repo' } } })).toBe(false);
    expect(validate({ ...event, specversion: '0.3' })).toBe(false);
  });
});

describe('envelope', () => {
  it('builds a CloudEvents 1.0 envelope and validates data by type', () => {
    const event = createEvent(eventTypes.taskSubmitted, { title: 'x', repo: { url: '/r' } }, { source: 'test', subject: 't1' });
    expect(event).toMatchObject({ specversion: '1.0', type: 'dev.patchbay.task.submitted.v1', source: 'test', subject: 't1', datacontenttype: 'application/json' });
    expect(() => createEvent(eventTypes.taskSubmitted, { title: '' } as never, { source: 'test' })).toThrow();
  });

  it('says exactly why a payload is refused', () => {
    expect(parseEvent('nope')).toMatchObject({ ok: false, reason: 'not_json' });
    expect(parseEvent(new Uint8Array([0xff, 0xfe]))).toMatchObject({ ok: false, reason: 'not_json' });
    expect(parseEvent('{"a":1}')).toMatchObject({ ok: false, reason: 'invalid_envelope' });
    const base = { specversion: '1.0', id: '1', source: 's', time: new Date().toISOString() };
    expect(parseEvent(JSON.stringify({ ...base, type: 'dev.other.v1', data: {} }))).toMatchObject({ ok: false, reason: 'unknown_type' });
    const invalid = parseEvent(JSON.stringify({ ...base, type: eventTypes.taskSubmitted, data: { title: 'x' } }));
    expect(invalid).toMatchObject({ ok: false, reason: 'invalid_data' });
    expect(invalid.ok === false && invalid.error).toMatch(/repo/);
    const ok = parseEvent(JSON.stringify({ ...base, type: eventTypes.taskSubmitted, data: { title: 'x', repo: { url: '/r' } } }));
    expect(ok.ok && ok.event.type).toBe(eventTypes.taskSubmitted);
  });
});

describe('registry', () => {
  it('keeps public subjects fixed', () => {
    expect(subjects.taskSubmit).toBe('patchbay.tasks.submit');
    expect(subjects.ciFailure).toBe('patchbay.ci.failure');
    expect(subjects.taskEvents('abc-1')).toBe('patchbay.tasks.abc-1.events');
  });

  it('refuses task ids that would break subjects', () => {
    for (const bad of ['a.b', 'a b', '*', '>', '', '-x', 'x'.repeat(129)]) {
      expect(isSubjectToken(bad)).toBe(false);
      expect(() => subjects.taskEvents(bad)).toThrow(/not a valid subject token/);
    }
  });

  it('gives every stream distinct, non-overlapping subjects', () => {
    const all = Object.values(streams).flatMap((s) => s.subjects);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(Object.values(streams).map((s) => s.name)).size).toBe(Object.keys(streams).length);
  });

  it('gives work-queue consumers of one stream distinct filters', () => {
    const work = (Object.values(consumers).flat() as ConsumerSpec[]).filter((c) => c.stream === streams.work.name);
    const filters = work.map((c) => c.filterSubject);
    expect(new Set(filters).size).toBe(filters.length);
    expect(buckets.tasks).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
