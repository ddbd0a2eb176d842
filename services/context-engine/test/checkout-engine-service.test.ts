import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectBus, encodeEvent, ensureTopology } from '@patchbay/bus';
import { loadConfig } from '@patchbay/config';
import { ContextAnswer, createEvent, eventTypes, queueGroups, streams, subjects } from '@patchbay/contracts';
import { checkoutEngineService } from '@patchbay/context-engine';
import { type RunningService, startService } from '@patchbay/runtime';
import { type GitFixture, type TestNats, createGitFixture, startNats } from '@patchbay/testkit';
import { TS_LAYERED } from './fixtures/repos.js';

let nats: TestNats;
let bus: Bus;
let workdir: string;
let repo: GitFixture;
let service: RunningService | undefined;
let queries = 0;

beforeAll(async () => {
  nats = await startNats();
  bus = await connectBus({ url: nats.url, name: 'checkout-engine-test' });
  await ensureTopology(bus);
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-checkout-service-'));
  repo = await createGitFixture(TS_LAYERED);
  const config = loadConfig({ env: {}, overrides: { nats: { url: nats.url }, workdir, log: { level: 'silent' }, context: { localRoots: [repo.dir] } } });
  service = await startService(
    checkoutEngineService(repo.dir, () => (queries += 1)),
    { config, consume: false },
  );
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await bus?.drain();
  await nats?.stop();
  if (workdir) await rm(workdir, { recursive: true, force: true });
  await repo?.remove();
});

const query = (path: string, head: string) => encodeEvent(createEvent(eventTypes.contextQuery, { path, head, title: 'Apply a discount in getOrder', mapBudget: 512 }, { source: 'test' }));

describe("a checkout's own context engine", () => {
  it('answers on its checkout\'s subject, in its own queue group, telling its idle timer', async () => {
    expect(queueGroups.checkoutContextQuery).not.toBe(queueGroups.contextQuery);
    const head = (await repo.git('rev-parse', 'HEAD')).trim();
    const reply = await bus.nc.request(subjects.checkoutContextQuery(hostname(), repo.dir), query(repo.dir, head), { timeout: 30_000 });
    const answer = ContextAnswer.parse(reply.json<{ data: unknown }>().data);
    expect(answer).toMatchObject({ ok: true, servedBy: `context engine of this checkout (pid ${process.pid})` });
    expect(queries).toBe(1);
  });

  it('does not answer on the shared subject, and takes no pipeline work', async () => {
    await expect(bus.nc.request(subjects.contextQuery, query(repo.dir, 'f'.repeat(40)), { timeout: 5_000 })).rejects.toSatisfy((e: { isNoResponders?: () => boolean }) => e.isNoResponders?.() === true);
    const durables: string[] = [];
    for await (const c of bus.jsm.consumers.list(streams.work.name)) durables.push(c.name);
    expect(durables).not.toContain('context-engine');
  });

  it('is keyed by machine and path: another machine or path is another subject', () => {
    const mine = subjects.checkoutContextQuery('host-a', '/srv/app');
    expect(mine).toMatch(/^patchbay\.context\.checkout\.[0-9a-f]{24}$/);
    expect(subjects.checkoutContextQuery('host-b', '/srv/app')).not.toBe(mine);
    expect(subjects.checkoutContextQuery('host-a', '/srv/app2')).not.toBe(mine);
  });
});
