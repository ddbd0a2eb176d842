import { join } from 'node:path';
import { eventTypes } from '@patchbay/contracts';
import type { ServiceDefinition } from '@patchbay/runtime';
import { createGitWorkspace } from '@patchbay/workspace';
import { createAssessmentHandler } from './handlers/assessment-request.js';

/** Scores a candidate diff by running the repository's own tests on it, in a sandbox. */
export const qualityAssessorService: ServiceDefinition = {
  name: 'quality-assessor',
  createHandlers({ artifacts, config }) {
    const root = join(config.workdir, 'quality-assessor');
    return {
      [eventTypes.assessmentRequested]: createAssessmentHandler({
        git: createGitWorkspace(root),
        artifacts,
        scratchRoot: join(root, 'scratch'),
        testTimeoutMs: config.assessor.testTimeoutMs,
        outputLimitBytes: config.assessor.outputLimitBytes,
        sandboxEnv: config.sandboxEnv,
        knownSecrets: config.knownSecrets,
      }),
    };
  },
};
