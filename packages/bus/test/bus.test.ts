import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Bus, connectBus, ensureTopology, openArtifacts, openBoard, openStateStore } from '@patchbay/bus';
import { buckets } from '@patchbay/contracts';
import { startNats, type TestNats } from '@patchbay/testkit';

let nats: TestNats;
let buses: Bus[] = [];

beforeAll(async () => {
  nats = await startNats();
  const bus = await connectBus({ url: nats.url, name: 'bus-test' });
  buses.push(bus);
  await ensureTopology(bus);
});

afterAll(async () => {
  for (const bus of buses) await bus.drain();
  await nats.stop();
});

const entry = (agent: string, unit: string) => ({
  ts: new Date().toISOString(),
  agent,
  type: 'test_command' as const,
  data: { unit },
  repo: '/tmp/some-repo',
});

describe('topology', () => {
  it('is idempotent: a second ensureTopology changes nothing and does not fail', async () => {
    const bus = buses[0]!;
    await ensureTopology(bus);
    const names: string[] = [];
    for await (const name of bus.jsm.streams.names()) names.push(name);
    expect(names).toEqual(expect.arrayContaining(['PATCHBAY_INTAKE', 'PATCHBAY_WORK', 'PATCHBAY_BOARD', 'PATCHBAY_CHANGES']));
  });
});

describe('discovery board', () => {
  it('keeps exactly one entry when 4 writers race on the same key', async () => {
    const writers = await Promise.all(
      [1, 2, 3, 4].map(async (n) => {
        const bus = await connectBus({ url: nats.url, name: `writer-${n}` });
        buses.push(bus);
        return openBoard(bus);
      }),
    );
    const results = await Promise.all(writers.map((board, i) => board.write(entry(`agent-${i}`, `npm test -- ${i}`))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const all = await writers[0]!.read('/tmp/some-repo');
    const commands = all.filter((e) => e.type === 'test_command');
    expect(commands).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(commands[0]?.agent).toBe(`agent-${winner}`);
    expect(await writers[1]!.get('/tmp/some-repo', 'test_command', null)).toMatchObject({ agent: `agent-${winner}` });
  });

  it('refuses entries missing their required fields', async () => {
    const board = openBoard(buses[0]!);
    await expect(
      board.write({ ts: new Date().toISOString(), agent: 'x', type: 'utility', data: { name: 'slugify' }, repo: '/r' }),
    ).rejects.toThrow(/utility requires data.file/);
  });

  it('keys entries by their dedup field: two utilities coexist, a same-name one does not', async () => {
    const board = openBoard(buses[0]!);
    const util = (name: string, file: string) => ({
      ts: new Date().toISOString(),
      agent: 'context-engine',
      type: 'utility' as const,
      data: { name, file, usage: `${name}()` },
      repo: '/tmp/util-repo',
    });
    expect(await board.write(util('slugify', 'a.ts'))).toBe(true);
    expect(await board.write(util('debounce', 'b.ts'))).toBe(true);
    expect(await board.write(util('slugify', 'c.ts'))).toBe(false);
    const entries = await board.read('/tmp/util-repo');
    expect(entries.map((e) => e.data['file']).sort()).toEqual(['a.ts', 'b.ts']);
  });
});

describe('state store', () => {
  it('loses no update when writers race on the same record', async () => {
    const schema = z.object({ count: z.number() });
    const stores = await Promise.all(buses.slice(0, 4).map((bus) => openStateStore(bus, buckets.tasks, schema)));
    expect(await stores[0]!.create('counter', { count: 0 })).toBe(true);
    expect(await stores[1]!.create('counter', { count: 99 })).toBe(false);
    await Promise.all(
      stores.flatMap((store) =>
        Array.from({ length: 5 }, () => store.update('counter', (s) => ({ next: { count: s.count + 1 }, result: null }))),
      ),
    );
    expect((await stores[0]!.get('counter'))?.value.count).toBe(20);
  });
});

describe('artifacts', () => {
  it('round-trips text larger than a message chunk', async () => {
    const artifacts = await openArtifacts(buses[0]!);
    const big = 'x'.repeat(300_000);
    await artifacts.put('diff/t1/1.patch', big);
    expect(await artifacts.getText('diff/t1/1.patch')).toBe(big);
    await expect(artifacts.get('missing')).rejects.toThrow(/does not exist/);
  });
});
