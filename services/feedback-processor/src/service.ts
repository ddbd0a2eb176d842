import { Counter } from 'prom-client';
import { type QualityConfig, loadQualityConfig } from '@patchbay/config';
import { eventTypes } from '@patchbay/contracts';
import { openLessonStore } from '@patchbay/learning';
import type { ServiceDefinition } from '@patchbay/runtime';
import { createFeedbackHandler } from './handlers/feedback-request.js';
import { createLearningHandler } from './handlers/learning-request.js';

export type FeedbackConfig = Pick<QualityConfig, 'feedback' | 'learning'>;

/** Turns a failed attempt into concrete improvements for the next one, and learns per repository. */
export const feedbackProcessorService: ServiceDefinition = {
  name: 'feedback-processor',
  async createHandlers({ bus, config, metrics }) {
    const settings = loadQualityConfig(config.quality.configDir);
    const lessons = await openLessonStore(bus);
    const learning = {
      lessonsApplied: new Counter({
        name: 'patchbay_lessons_applied_total',
        help: 'Lessons that were in the prompts of tasks that ended',
        labelNames: ['service'],
        registers: [metrics.registry],
      }),
      tasks: new Counter({
        name: 'patchbay_learning_tasks_total',
        help: 'Tasks that ended, by whether lessons were in their prompt and whether their first attempt passed',
        labelNames: ['service', 'lessons', 'first_attempt'],
        registers: [metrics.registry],
      }),
    };
    return {
      [eventTypes.feedbackRequested]: createFeedbackHandler({ lessons, settings }),
      [eventTypes.learningRequested]: createLearningHandler({ lessons, settings, metrics: learning }),
    };
  },
};
