import type { z } from 'zod';
import { ContextAnswer, ContextQuery } from './context.js';
import { BoardEntry, ChangeEntry, DeadLetter, DebugEntry } from './records.js';
import {
  CiFailure,
  TaskAccepted,
  TaskAssessed,
  TaskCancelRequested,
  TaskCompleted,
  TaskEscalated,
  TaskFailed,
  TaskFeedback,
  TaskProgress,
  TaskReopened,
  TaskStage,
  TaskSubmitted,
} from './task.js';
import {
  AssessmentCompleted,
  AssessmentRequested,
  CodegenCompleted,
  CodegenRequested,
  ContextCompleted,
  ContextRequested,
  DebugCompleted,
  DebugRequested,
  DeliveryCompleted,
  DeliveryRequested,
  FeedbackCompleted,
  FeedbackRequested,
  LearningRequested,
  StageFailed,
} from './work.js';

/** Every CloudEvent type, versioned; a new shape is a new version, never an edit. */
export const eventTypes = {
  taskSubmitted: 'dev.patchbay.task.submitted.v1',
  ciFailure: 'dev.patchbay.ci.failure.v1',
  taskCancelRequested: 'dev.patchbay.task.cancel.requested.v1',
  taskFeedback: 'dev.patchbay.task.feedback.v1',
  taskAccepted: 'dev.patchbay.task.accepted.v1',
  taskStage: 'dev.patchbay.task.stage.v1',
  taskProgress: 'dev.patchbay.task.progress.v1',
  taskAssessed: 'dev.patchbay.task.assessed.v1',
  taskEscalated: 'dev.patchbay.task.escalated.v1',
  taskCompleted: 'dev.patchbay.task.completed.v1',
  taskFailed: 'dev.patchbay.task.failed.v1',
  taskReopened: 'dev.patchbay.task.reopened.v1',
  contextRequested: 'dev.patchbay.context.requested.v1',
  contextCompleted: 'dev.patchbay.context.completed.v1',
  contextQuery: 'dev.patchbay.context.query.v1',
  contextAnswer: 'dev.patchbay.context.answer.v1',
  codegenRequested: 'dev.patchbay.codegen.requested.v1',
  codegenCompleted: 'dev.patchbay.codegen.completed.v1',
  assessmentRequested: 'dev.patchbay.assessment.requested.v1',
  assessmentCompleted: 'dev.patchbay.assessment.completed.v1',
  feedbackRequested: 'dev.patchbay.feedback.requested.v1',
  feedbackCompleted: 'dev.patchbay.feedback.completed.v1',
  learningRequested: 'dev.patchbay.learning.requested.v1',
  debugRequested: 'dev.patchbay.debug.requested.v1',
  debugCompleted: 'dev.patchbay.debug.completed.v1',
  deliveryRequested: 'dev.patchbay.delivery.requested.v1',
  deliveryCompleted: 'dev.patchbay.delivery.completed.v1',
  stageFailed: 'dev.patchbay.stage.failed.v1',
  boardEntry: 'dev.patchbay.board.entry.v1',
  changeRecorded: 'dev.patchbay.change.recorded.v1',
  debugEntry: 'dev.patchbay.debug.entry.v1',
  deadLetter: 'dev.patchbay.deadletter.v1',
} as const;

export const eventSchemas = {
  [eventTypes.taskSubmitted]: TaskSubmitted,
  [eventTypes.ciFailure]: CiFailure,
  [eventTypes.taskCancelRequested]: TaskCancelRequested,
  [eventTypes.taskFeedback]: TaskFeedback,
  [eventTypes.taskAccepted]: TaskAccepted,
  [eventTypes.taskStage]: TaskStage,
  [eventTypes.taskProgress]: TaskProgress,
  [eventTypes.taskAssessed]: TaskAssessed,
  [eventTypes.taskEscalated]: TaskEscalated,
  [eventTypes.taskCompleted]: TaskCompleted,
  [eventTypes.taskFailed]: TaskFailed,
  [eventTypes.taskReopened]: TaskReopened,
  [eventTypes.contextRequested]: ContextRequested,
  [eventTypes.contextCompleted]: ContextCompleted,
  [eventTypes.contextQuery]: ContextQuery,
  [eventTypes.contextAnswer]: ContextAnswer,
  [eventTypes.codegenRequested]: CodegenRequested,
  [eventTypes.codegenCompleted]: CodegenCompleted,
  [eventTypes.assessmentRequested]: AssessmentRequested,
  [eventTypes.assessmentCompleted]: AssessmentCompleted,
  [eventTypes.feedbackRequested]: FeedbackRequested,
  [eventTypes.feedbackCompleted]: FeedbackCompleted,
  [eventTypes.learningRequested]: LearningRequested,
  [eventTypes.debugRequested]: DebugRequested,
  [eventTypes.debugCompleted]: DebugCompleted,
  [eventTypes.deliveryRequested]: DeliveryRequested,
  [eventTypes.deliveryCompleted]: DeliveryCompleted,
  [eventTypes.stageFailed]: StageFailed,
  [eventTypes.boardEntry]: BoardEntry,
  [eventTypes.changeRecorded]: ChangeEntry,
  [eventTypes.debugEntry]: DebugEntry,
  [eventTypes.deadLetter]: DeadLetter,
} as const satisfies Record<string, z.ZodType>;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.output<(typeof eventSchemas)[T]>;

/** Types other systems publish or consume; their JSON Schemas are exported and documented. */
export const publicEventTypes = [
  eventTypes.taskSubmitted,
  eventTypes.ciFailure,
  eventTypes.taskCancelRequested,
  eventTypes.taskFeedback,
  eventTypes.taskAccepted,
  eventTypes.taskStage,
  eventTypes.taskProgress,
  eventTypes.taskAssessed,
  eventTypes.taskEscalated,
  eventTypes.taskCompleted,
  eventTypes.taskFailed,
  eventTypes.taskReopened,
  eventTypes.contextQuery,
  eventTypes.contextAnswer,
  eventTypes.boardEntry,
  eventTypes.changeRecorded,
  eventTypes.debugEntry,
  eventTypes.deadLetter,
] as const satisfies readonly EventType[];

/** Terminal task events: nothing follows them on the task's events subject. */
export const terminalEventTypes: readonly EventType[] = [
  eventTypes.taskCompleted,
  eventTypes.taskFailed,
  eventTypes.taskEscalated,
];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventSchemas, type);
}
