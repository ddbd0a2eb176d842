import { join } from 'node:path';
import { openAnalysisCache } from '@patchbay/bus';
import { loadQualityConfig } from '@patchbay/config';
import { eventTypes } from '@patchbay/contracts';
import type { ServiceDefinition } from '@patchbay/runtime';
import { createGitWorkspace } from '@patchbay/workspace';
import { createAssessmentHandler } from './handlers/assessment-request.js';

/** Scores a candidate diff with real analysers and the repository's own tests, in a sandbox. */
export const qualityAssessorService: ServiceDefinition = {
  name: 'quality-assessor',
  async createHandlers({ artifacts, bus, config, log }) {
    const root = join(config.workdir, 'quality-assessor');
    const quality = loadQualityConfig(config.quality.configDir);
    log.info({ languages: Object.keys(quality.languages), isolation: config.sandbox.isolation }, 'quality configuration loaded');
    return {
      [eventTypes.assessmentRequested]: createAssessmentHandler({
        git: createGitWorkspace(root),
        artifacts,
        cache: await openAnalysisCache(bus),
        quality,
        scratchRoot: join(root, 'scratch'),
        testTimeoutMs: config.assessor.testTimeoutMs,
        sandbox: {
          env: config.sandboxEnv,
          isolation: config.sandbox.isolation,
          hide: config.sandboxHide,
          maxOutputBytes: config.assessor.outputLimitBytes,
        },
        knownSecrets: config.knownSecrets,
      }),
    };
  },
};
