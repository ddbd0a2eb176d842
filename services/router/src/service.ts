import { openStateStore } from '@patchbay/bus';
import { buckets } from '@patchbay/contracts';
import type { ServiceDefinition } from '@patchbay/runtime';
import { TaskState } from './domain/task-state.js';
import { createRouterHandlers } from './handlers/router-handlers.js';
import { createRouterMetrics } from './metrics.js';

/** Classifies tasks at intake and conducts each task's state machine. */
export const routerService: ServiceDefinition = {
  name: 'router',
  async createHandlers({ bus, artifacts, config, metrics }) {
    const tasks = await openStateStore(bus, buckets.tasks, TaskState);
    return createRouterHandlers({
      tasks,
      artifacts,
      defaults: {
        maxAttempts: config.pipeline.maxAttempts,
        qualityThreshold: config.pipeline.qualityThreshold,
        policy: {
          validationMaxAttempts: config.retry.VALIDATION_FAILED.maxAttempts,
          qualityMaxAttempts: config.retry.QUALITY_THRESHOLD.maxAttempts,
          earlyStop: config.retry.earlyStop,
        },
      },
      metrics: createRouterMetrics(metrics.registry),
    });
  },
};
