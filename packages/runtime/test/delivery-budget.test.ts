import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectBus, ensureTopology, openDeliveryWaits, publishEvent, readStream, waitKey } from '@patchbay/bus';
import { loadConfig } from '@patchbay/config';
import { type CodegenRequested, consumers, createEvent, eventTypes, streams, subjects } from '@patchbay/contracts';
import { CircuitOpenError, ConflictError } from '@patchbay/errors';
import { type RunningService, startService } from '@patchbay/runtime';
import { type TestNats, startNats, until } from '@patchbay/testkit';

/**
 * The dispatcher on a consumer with a delivery budget (codegen's): waits (an open circuit
 * breaker) are naks with the breaker's delay that do not count; real failures do, and the
 * budget still ends a message that never succeeds.
 */

let nats: TestNats;
let bus: Bus;
let service: RunningService | undefined;
const calls = new Map<string, number>();
let behaviour: (taskId: string, call: number) => void = () => {};

const spec = consumers.codegen[0];

async function send(taskId: string): Promise<void> {
  const data: CodegenRequested = { taskId, attempt: 1, repo: { url: '/nowhere' }, baseCommit: 'b'.repeat(40), contextRef: 'c', mode: 'BUG_FIXING', title: 't' };
  await publishEvent(bus, subjects.workRequest('codegen'), createEvent(eventTypes.codegenRequested, data, { source: 'test', subject: taskId }), { msgId: `${taskId}.req` });
}

beforeAll(async () => {
  nats = await startNats();
  bus = await connectBus({ url: nats.url, name: 'budget-test' });
  await ensureTopology(bus);
  service = await startService(
    {
      name: 'codegen',
      createHandlers: () => ({
        [eventTypes.codegenRequested]: async (event, ctx) => {
          const n = (calls.get(event.data.taskId) ?? 0) + 1;
          calls.set(event.data.taskId, n);
          expect(ctx.maxDeliver).toBe(spec.deliveryBudget);
          behaviour(event.data.taskId, n);
        },
      }),
    },
    { config: loadConfig({ env: {}, overrides: { nats: { url: nats.url }, log: { level: 'silent' } } }) },
  );
});

afterAll(async () => {
  await service?.stop();
  await bus?.drain();
  await nats?.stop();
});

describe('a consumer with a delivery budget', () => {
  it('is codegen: a far-off server limit and a budget of 5 that waits do not use', () => {
    expect(spec).toMatchObject({ durable: 'codegen', deliveryBudget: 5 });
    expect(spec.maxDeliver).toBeGreaterThanOrEqual(1_000);
  });

  it('lets a message wait more times than its budget, then handles it', async () => {
    const seen: number[] = [];
    behaviour = (taskId, n) => {
      if (taskId !== 'waits') return;
      seen.push(n);
      if (n <= 8) throw new CircuitOpenError('circuit open', { retryAfterMs: 20 });
    };
    await send('waits');
    await until(() => calls.get('waits') === 9);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.get('waits')).toBe(9);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const waits = await openDeliveryWaits(bus);
    // Acked: its wait count is forgotten.
    await until(async () => (await waits.count(waitKey('codegen', 1))) === 0);
  });

  it('honours retryAfterMs on transient failures and ends a message after 5 real failures, waits not counted', async () => {
    const deliveries: number[] = [];
    behaviour = (taskId, n) => {
      if (taskId !== 'fails') return;
      deliveries.push(n);
      // Waits in between real failures do not count against the budget.
      if (n % 2 === 1) throw new CircuitOpenError('circuit open', { retryAfterMs: 10 });
      throw new ConflictError('still failing', { retryAfterMs: 10 });
    };
    await send('fails');
    await until(async () => (await readStream(bus, streams.deadLetters.name, subjects.deadLetter('codegen'))).length > 0);
    // 5 real failures (deliveries 2, 4, ..., 10) and 5 waits; the 5th failure is dead-lettered.
    expect(deliveries).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const letters = await readStream(bus, streams.deadLetters.name, subjects.deadLetter('codegen'));
    expect(letters.at(-1)?.event.data).toMatchObject({ reason: 'handler_failed', error: expect.stringContaining('CONFLICT: still failing') });
  });
});
