import { join } from 'node:path';
import { openBoard } from '@patchbay/bus';
import { eventTypes } from '@patchbay/contracts';
import type { ServiceDefinition } from '@patchbay/runtime';
import { createGitWorkspace } from '@patchbay/workspace';
import { createContextHandler } from './handlers/context-request.js';

/** Analyses the target repository and shares what it finds on the discovery board. */
export const contextEngineService: ServiceDefinition = {
  name: 'context-engine',
  createHandlers({ bus, artifacts, config }) {
    return {
      [eventTypes.contextRequested]: createContextHandler({
        git: createGitWorkspace(join(config.workdir, 'context-engine')),
        board: openBoard(bus),
        artifacts,
        budgetChars: config.context.fileBudgetChars,
        knownSecrets: config.knownSecrets,
      }),
    };
  },
};
