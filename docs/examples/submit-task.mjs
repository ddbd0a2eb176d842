// Submit a task to patchbay from a plain NATS client and follow it to the end.
// Needs only the NATS client libraries: npm install @nats-io/transport-node @nats-io/jetstream
//
//   node submit-task.mjs /path/to/git/repo "Fix the failing median tests"
//
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';

const [repo, title] = process.argv.slice(2);
if (!repo || !title) {
  console.error('usage: node submit-task.mjs <repo path or git URL> "<title>"');
  process.exit(2);
}

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const js = jetstream(nc);
const taskId = `t${randomUUID().replaceAll('-', '').slice(0, 12)}`;

// A CloudEvents 1.0 envelope; its id is the task id (submitting it twice is one task).
const event = {
  specversion: '1.0',
  id: taskId,
  source: 'urn:example:my-tracker',
  type: 'dev.patchbay.task.submitted.v1',
  time: new Date().toISOString(),
  subject: taskId,
  datacontenttype: 'application/json',
  data: { title, repo: { url: repo }, constraints: { maxAttempts: 3 } },
};
await js.publish('patchbay.tasks.submit', JSON.stringify(event), { msgID: taskId });
console.log(`submitted ${taskId}`);

// Every event of the task, from the first, until a terminal one.
const terminal = new Set(['dev.patchbay.task.completed.v1', 'dev.patchbay.task.failed.v1', 'dev.patchbay.task.escalated.v1']);
const consumer = await js.consumers.get('PATCHBAY_EVENTS', {
  filter_subjects: `patchbay.tasks.${taskId}.events`,
  deliver_policy: DeliverPolicy.All,
});
for await (const msg of await consumer.consume()) {
  const e = msg.json();
  console.log(e.type, JSON.stringify(e.data.summary ?? e.data.reason ?? e.data.branch ?? ''));
  if (terminal.has(e.type)) {
    console.log(JSON.stringify(e.data));
    break;
  }
}
await nc.close();
