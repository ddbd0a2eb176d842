export { feedbackProcessorService, type FeedbackConfig } from './service.js';
export { buildFeedback, failureSignature, groupFindings, rankGroups, signatureKeys, type Feedback, type FeedbackInput } from './domain/feedback.js';
export { keysOfSignature, lessonKey, observationsOf } from './domain/observations.js';
