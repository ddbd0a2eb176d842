import { createHash } from 'node:crypto';

/**
 * The one registry of NATS subjects, streams, consumers and buckets.
 * Nothing outside this module spells a subject string.
 */

/** Task ids and other subject tokens: no dots, wildcards or whitespace. */
export const TOKEN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function isSubjectToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * Names one checkout on one machine (its host name and real path; the same path on two
 * machines sharing a server is two checkouts): the token of its own engine's subject, and
 * of that engine's files.
 */
export function checkoutKey(host: string, realPath: string): string {
  return createHash('sha256').update(`${host}\0${realPath}`).digest('hex').slice(0, 24);
}

function token(value: string, what: string): string {
  if (!isSubjectToken(value)) {
    throw new TypeError(`${what} "${value}" is not a valid subject token (letters, digits, "-" and "_", at most 128)`);
  }
  return value;
}

/** Pipeline stages that services serve on the work stream. */
export const STAGES = ['context', 'codegen', 'assessment', 'feedback', 'debug', 'delivery'] as const;
type StageName = (typeof STAGES)[number];

export const ESCALATION_TARGETS = ['pm', 'security'] as const;
type EscalationTargetName = (typeof ESCALATION_TARGETS)[number];

export const SERVICE_NAMES = [
  'router',
  'context-engine',
  'codegen',
  'quality-assessor',
  'feedback-processor',
  'debugger',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const subjects = {
  /** Public: submit a task (CloudEvent dev.patchbay.task.submitted.v1). */
  taskSubmit: 'patchbay.tasks.submit',
  /** Public: a CI pipeline reports a failure (dev.patchbay.ci.failure.v1). */
  ciFailure: 'patchbay.ci.failure',
  /** Public: every lifecycle and progress event of one task. */
  taskEvents: (taskId: string) => `patchbay.tasks.${token(taskId, 'task id')}.events`,
  /**
   * Public: requests about one task: cancel it (dev.patchbay.task.cancel.requested.v1), or
   * a person's review that re-opens a completed task (dev.patchbay.task.feedback.v1).
   */
  taskControl: (taskId: string) => `patchbay.tasks.${token(taskId, 'task id')}.control`,
  /** Public: escalations for the pm and security agents. */
  escalation: (target: EscalationTargetName) => `patchbay.escalations.${target}`,
  /** Internal: a request for a pipeline stage. */
  workRequest: (stage: StageName) => `patchbay.work.${stage}.request`,
  /** Internal: the result of a pipeline stage, read by the router. */
  workResult: (stage: StageName) => `patchbay.work.${stage}.result`,
  /** Messages that could not be handled, with the reason. */
  deadLetter: (service: string) => `patchbay.dlq.${token(service, 'service')}`,
  /** One subject per discovery key: the server keeps only the first message. */
  boardEntry: (repoKey: string, type: string, keyHash: string) =>
    `patchbay.board.${token(repoKey, 'repo key')}.${token(type, 'board type')}.${token(keyHash, 'board key')}`,
  boardRepo: (repoKey: string) => `patchbay.board.${token(repoKey, 'repo key')}.>`,
  changes: (taskId: string) => `patchbay.changes.${token(taskId, 'task id')}`,
  debugLog: (taskId: string) => `patchbay.debug.${token(taskId, 'task id')}`,
  /** Public, request/reply: a repository's context from a running engine (dev.patchbay.context.query.v1; core NATS, no stream). */
  contextQuery: 'patchbay.context.query',
  /**
   * Request/reply, the same messages: the context engine that `patchbay context` started in
   * the background for one checkout, which serves only it (see checkoutKey).
   */
  checkoutContextQuery: (host: string, realPath: string) => `patchbay.context.checkout.${checkoutKey(host, realPath)}`,
} as const;

/** Queue groups of request/reply subjects: one instance of the service answers each request. */
export const queueGroups = {
  contextQuery: 'context-engine',
  checkoutContextQuery: 'context-engine-checkout',
} as const;

/** Wildcards used by stream definitions and consumers. */
export const subjectPatterns = {
  allTaskEvents: 'patchbay.tasks.*.events',
  allTaskControls: 'patchbay.tasks.*.control',
  allEscalations: 'patchbay.escalations.*',
  allWork: 'patchbay.work.>',
  allWorkResults: 'patchbay.work.*.result',
  allDeadLetters: 'patchbay.dlq.>',
  allBoard: 'patchbay.board.>',
  allChanges: 'patchbay.changes.>',
  allDebugLogs: 'patchbay.debug.>',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface StreamSpec {
  name: string;
  subjects: string[];
  retention: 'limits' | 'workqueue';
  maxAgeMs: number;
  /** Keep only the first message per subject, refusing later ones (discovery board). */
  firstWriterWins?: boolean;
  duplicateWindowMs?: number;
  description: string;
}

export const streams = {
  intake: {
    name: 'PATCHBAY_INTAKE',
    subjects: [subjects.taskSubmit, subjects.ciFailure, subjectPatterns.allTaskControls],
    retention: 'workqueue',
    maxAgeMs: 7 * DAY_MS,
    duplicateWindowMs: 10 * 60 * 1000,
    description: 'Tasks, CI failures and task control requests (cancel, review feedback) waiting for the router',
  },
  work: {
    name: 'PATCHBAY_WORK',
    subjects: [subjectPatterns.allWork],
    retention: 'workqueue',
    maxAgeMs: 7 * DAY_MS,
    duplicateWindowMs: 10 * 60 * 1000,
    description: 'Stage requests and results between the router and the services',
  },
  events: {
    name: 'PATCHBAY_EVENTS',
    subjects: [subjectPatterns.allTaskEvents],
    retention: 'limits',
    maxAgeMs: 14 * DAY_MS,
    duplicateWindowMs: 10 * 60 * 1000,
    description: 'Lifecycle and progress events of every task',
  },
  escalations: {
    name: 'PATCHBAY_ESCALATIONS',
    subjects: [subjectPatterns.allEscalations],
    retention: 'limits',
    maxAgeMs: 30 * DAY_MS,
    description: 'Tasks escalated to the pm or security agents',
  },
  deadLetters: {
    name: 'PATCHBAY_DLQ',
    subjects: [subjectPatterns.allDeadLetters],
    retention: 'limits',
    maxAgeMs: 30 * DAY_MS,
    description: 'Messages a service could not handle, with the reason',
  },
  board: {
    name: 'PATCHBAY_BOARD',
    subjects: [subjectPatterns.allBoard],
    retention: 'limits',
    maxAgeMs: 0,
    firstWriterWins: true,
    description: 'Shared discovery board: the first finding per (repo, type, key) wins',
  },
  changes: {
    name: 'PATCHBAY_CHANGES',
    subjects: [subjectPatterns.allChanges],
    retention: 'limits',
    maxAgeMs: 90 * DAY_MS,
    duplicateWindowMs: 10 * 60 * 1000,
    description: 'Changes log: one entry per file changed per attempt',
  },
  debug: {
    name: 'PATCHBAY_DEBUG',
    subjects: [subjectPatterns.allDebugLogs],
    retention: 'limits',
    maxAgeMs: 90 * DAY_MS,
    duplicateWindowMs: 10 * 60 * 1000,
    description: 'Debug log: hypothesis, experiment and conclusion entries',
  },
} as const satisfies Record<string, StreamSpec>;

export const buckets = {
  /** Task state, updated with revision checks by the router. */
  tasks: 'patchbay-tasks',
  /** Object store for payloads too large for messages: contexts, diffs, outputs, reports. */
  artifacts: 'patchbay-artifacts',
  /** Per message: how often it waited (nak with a delay) without counting as a failed delivery. */
  deliveryWaits: 'patchbay-delivery-waits',
  /** Analyser results keyed by (tool and version, configuration, file blob hash). */
  analysisCache: 'patchbay-analysis-cache',
  /** What the feedback processor learned per repository: recurring failures and what fixed them. */
  lessons: 'patchbay-lessons',
  /** Context engine, per file: symbols and measurements keyed by git blob hash; also repository pointers. */
  contextFiles: 'patchbay-context-files',
  /** Context engine, per repository state: whole analyses (compact binary) and the state a change patches them from, keyed by tree hash (too large for KV values). */
  contextAnalyses: 'patchbay-context-analyses',
} as const;

export interface ConsumerSpec {
  stream: string;
  durable: string;
  /** Absent: the consumer reads every subject of the stream. */
  filterSubject?: string;
  /** How long one delivery may run before the server redelivers it; handlers heartbeat. */
  ackWaitMs: number;
  /** The server's limit on deliveries of one message. */
  maxDeliver: number;
  /**
   * Deliveries that count against a message when some redeliveries are only waits (an
   * open circuit breaker): the handler sees this as its limit, and waits are not counted.
   * The server's maxDeliver is then a far-off safety net.
   */
  deliveryBudget?: number;
}

const work = (durable: string, stage: StageName): ConsumerSpec => ({
  stream: streams.work.name,
  durable,
  filterSubject: subjects.workRequest(stage),
  ackWaitMs: 60_000,
  maxDeliver: 5,
});

/** The durable consumers each service pulls from; instances of a service share them. */
export const consumers = {
  router: [
    { stream: streams.intake.name, durable: 'router-intake', ackWaitMs: 30_000, maxDeliver: 5 },
    {
      stream: streams.work.name,
      durable: 'router-results',
      filterSubject: subjectPatterns.allWorkResults,
      ackWaitMs: 30_000,
      maxDeliver: 5,
    },
  ],
  'context-engine': [work('context-engine', 'context')],
  // Codegen waits on the bus while the model endpoint's breaker is open: those waits do not
  // use up its budget of 5 real deliveries (an hour and more of waiting fits under 1000).
  codegen: [{ ...work('codegen', 'codegen'), maxDeliver: 1_000, deliveryBudget: 5 }, work('codegen-delivery', 'delivery')],
  'quality-assessor': [work('quality-assessor', 'assessment')],
  'feedback-processor': [work('feedback-processor', 'feedback')],
  debugger: [work('debugger', 'debug')],
} as const satisfies Record<ServiceName, readonly ConsumerSpec[]>;
