import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { type ConsumerSpec, type StreamSpec, buckets, streams } from '@patchbay/contracts';
import type { Bus } from './connection.js';

const NOT_FOUND = [10014, 10059];

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && NOT_FOUND.includes(err.code);
}

function streamConfig(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    description: spec.description,
    subjects: [...spec.subjects],
    retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(spec.maxAgeMs),
    ...(spec.duplicateWindowMs ? { duplicate_window: nanos(spec.duplicateWindowMs) } : {}),
    ...(spec.firstWriterWins
      ? { max_msgs_per_subject: 1, discard: DiscardPolicy.New, discard_new_per_subject: true }
      : {}),
  };
}

const sameSubjects = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((s, i) => s === [...b].sort()[i]);

/** Creates a stream, or brings an existing one to the registry's definition. */
export async function ensureStream(bus: Bus, spec: StreamSpec): Promise<void> {
  const wanted = streamConfig(spec);
  try {
    const info = await bus.jsm.streams.info(spec.name);
    const have = info.config;
    const drift =
      !sameSubjects(have.subjects ?? [], wanted.subjects ?? []) ||
      have.max_age !== wanted.max_age ||
      (wanted.duplicate_window !== undefined && have.duplicate_window !== wanted.duplicate_window) ||
      (wanted.max_msgs_per_subject !== undefined && have.max_msgs_per_subject !== wanted.max_msgs_per_subject);
    if (drift) await bus.jsm.streams.update(spec.name, { ...have, ...wanted });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await bus.jsm.streams.add(wanted);
    } catch (addErr) {
      // Another instance created it between our info and add.
      await bus.jsm.streams.info(spec.name).catch(() => {
        throw addErr;
      });
    }
  }
}

/**
 * Creates a durable pull consumer or updates one whose settings drifted. Servers before
 * 2.10 update silently on add, so the comparison is ours.
 */
export async function ensureConsumer(bus: Bus, spec: ConsumerSpec): Promise<void> {
  const wanted = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: 1_000,
    ...(spec.filterSubject ? { filter_subject: spec.filterSubject } : {}),
  };
  try {
    const info = await bus.jsm.consumers.info(spec.stream, spec.durable);
    const have = info.config;
    if ((have.filter_subject ?? undefined) !== (spec.filterSubject ?? undefined)) {
      // A filter change would silently reroute work: recreate instead of editing in place.
      await bus.jsm.consumers.delete(spec.stream, spec.durable);
      await bus.jsm.consumers.add(spec.stream, wanted);
    } else if (have.ack_wait !== wanted.ack_wait || have.max_deliver !== wanted.max_deliver) {
      await bus.jsm.consumers.update(spec.stream, spec.durable, {
        ack_wait: wanted.ack_wait,
        max_deliver: wanted.max_deliver,
      });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await bus.jsm.consumers.add(spec.stream, wanted);
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Streams, the task-state, analysis-cache and lessons buckets and the artifact store, as the registry defines them. */
export async function ensureTopology(bus: Bus): Promise<void> {
  for (const spec of Object.values(streams)) await ensureStream(bus, spec);
  const kvm = new Kvm(bus.js);
  await kvm.create(buckets.tasks, { history: 10 });
  await kvm.create(buckets.deliveryWaits, { history: 1, ttl: streams.work.maxAgeMs });
  // Servers before 2.11 have no per-key TTL: the whole bucket ages out and is capped in size.
  await kvm.create(buckets.analysisCache, { history: 1, ttl: 30 * DAY_MS, max_bytes: 512 * 1024 * 1024 });
  await kvm.create(buckets.lessons, { history: 5 });
  await new Objm(bus.js).create(buckets.artifacts, { ttl: nanos(30 * 24 * 60 * 60 * 1000) });
  // Content-addressed, so never stale; the age limit only bounds their size.
  await new Kvm(bus.js).create(buckets.contextFiles, { history: 1, ttl: 30 * 24 * 60 * 60 * 1000 });
  await new Objm(bus.js).create(buckets.contextAnalyses, { ttl: nanos(14 * 24 * 60 * 60 * 1000) });
}
