import { join } from 'node:path';
import { openChangesLog } from '@patchbay/bus';
import { eventTypes } from '@patchbay/contracts';
import { createProvider } from '@patchbay/llm';
import type { ServiceDefinition } from '@patchbay/runtime';
import { createGitWorkspace } from '@patchbay/workspace';
import { createCodegenHandler } from './handlers/codegen-request.js';
import { createDeliveryHandler } from './handlers/delivery-request.js';
import { loadTemplates } from './templates.js';

/** Turns a task and its context into edits on a worktree, and delivers accepted diffs as branches. */
export const codegenService: ServiceDefinition = {
  name: 'codegen',
  async createHandlers({ bus, artifacts, config, log, source }) {
    const git = createGitWorkspace(join(config.workdir, 'codegen'));
    const provider = await createProvider(config.llm);
    log.info({ model: provider.info }, provider.info.replay ? 'using a REPLAY model: recorded answers, not a live LLM' : 'model configured');
    return {
      [eventTypes.codegenRequested]: createCodegenHandler({
        git,
        provider,
        artifacts,
        changes: openChangesLog(bus),
        templates: await loadTemplates(),
        answerTokens: config.llm.answerTokens,
        temperature: config.llm.temperature,
        knownSecrets: config.knownSecrets,
        source,
      }),
      [eventTypes.deliveryRequested]: createDeliveryHandler({ git, artifacts }),
    };
  },
};
