import { openStateStore } from '@patchbay/bus';
import { loadQualityConfig } from '@patchbay/config';
import { buckets } from '@patchbay/contracts';
import { openLessonStore, renderLessons } from '@patchbay/learning';
import type { ServiceDefinition } from '@patchbay/runtime';
import { TaskState } from './domain/task-state.js';

/** Classifies tasks at intake and conducts each task's state machine. */
export const routerService: ServiceDefinition = {
  name: 'router',
  async createHandlers({ bus, artifacts, config, metrics }) {
    // Loaded here: tools that use the routing rules or task states (`patchbay route`, `report`) import this package without the service runtime.
    const [{ createRouterHandlers }, { createRouterMetrics }] = await Promise.all([import('./handlers/router-handlers.js'), import('./metrics.js')]);
    const tasks = await openStateStore(bus, buckets.tasks, TaskState);
    const quality = loadQualityConfig(config.quality.configDir);
    const store = await openLessonStore(bus);
    return createRouterHandlers({
      tasks,
      artifacts,
      lessons: async (url) => (quality.learning.enabled ? renderLessons(await store.get(url), new Date(), quality.learning) : null),
      defaults: {
        maxAttempts: config.pipeline.maxAttempts,
        // PATCHBAY_QUALITY_THRESHOLD when set, else config/agent_config.yaml's quality.threshold.
        qualityThreshold: config.pipeline.qualityThreshold ?? quality.quality.threshold,
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
