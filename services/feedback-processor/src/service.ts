import { eventTypes } from '@patchbay/contracts';
import type { ServiceDefinition } from '@patchbay/runtime';
import { createFeedbackHandler } from './handlers/feedback-request.js';

/** Turns a failed attempt into concrete improvements for the next one. */
export const feedbackProcessorService: ServiceDefinition = {
  name: 'feedback-processor',
  createHandlers() {
    return { [eventTypes.feedbackRequested]: createFeedbackHandler() };
  },
};
