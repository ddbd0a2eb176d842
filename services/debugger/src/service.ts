import { join } from 'node:path';
import { openDebugLog } from '@patchbay/bus';
import { eventTypes } from '@patchbay/contracts';
import type { ServiceDefinition } from '@patchbay/runtime';
import { createGitWorkspace } from '@patchbay/workspace';
import { createDebugHandler } from './handlers/debug-request.js';

/** Runs the hypothesis → experiment → conclusion loop on failing tests, logged as NDJSON. */
export const debuggerService: ServiceDefinition = {
  name: 'debugger',
  createHandlers({ bus, artifacts, config, source }) {
    return {
      [eventTypes.debugRequested]: createDebugHandler({
        git: createGitWorkspace(join(config.workdir, 'debugger')),
        artifacts,
        debugLog: openDebugLog(bus),
        source,
      }),
    };
  },
};
