export { feedbackProcessorService } from './service.js';
export { buildFeedback, failureSignature, type Feedback } from './domain/feedback.js';
