import { join } from 'node:path';
import { openChangesLog } from '@patchbay/bus';
import { eventTypes, parseEvent, subjectPatterns } from '@patchbay/contracts';
import { createProvider } from '@patchbay/llm';
import type { ServiceDefinition } from '@patchbay/runtime';
import { createGitWorkspace } from '@patchbay/workspace';
import { createCancellations } from './cancellations.js';
import { createCodegenHandler } from './handlers/codegen-request.js';
import { createDeliveryHandler } from './handlers/delivery-request.js';
import { createCodegenMetrics } from './metrics.js';
import { createModelGate } from './model-gate.js';
import { loadTemplates } from './templates.js';

/** Turns a task and its context into edits on a worktree, and delivers accepted diffs as branches. */
export const codegenService: ServiceDefinition = {
  name: 'codegen',
  async createHandlers({ bus, artifacts, config, log, metrics: serviceMetrics, source }) {
    const git = createGitWorkspace(join(config.workdir, 'codegen'));
    const provider = await createProvider(config.llm);
    log.info(
      { model: provider.info, endpoint: provider.endpoint, structured: config.llm.structured, stream: config.llm.stream },
      provider.info.replay ? 'using a REPLAY model: recorded answers, not a live LLM' : 'model configured',
    );
    const metrics = createCodegenMetrics(serviceMetrics.registry);
    const { API_ERROR, RATE_LIMIT, NETWORK_ERROR, TIMEOUT } = config.retry;
    const gate = createModelGate(provider.endpoint, { policies: { API_ERROR, RATE_LIMIT, NETWORK_ERROR, TIMEOUT }, breaker: config.breaker }, metrics, log);

    // Every instance hears every cancel (a plain subscription, not a shared consumer): the
    // one generating for the task aborts its model call.
    const cancellations = createCancellations();
    bus.nc.subscribe(subjectPatterns.allTaskControls, {
      callback: (err, msg) => {
        if (err) return;
        const parsed = parseEvent(msg.data);
        if (!parsed.ok || parsed.event.type !== eventTypes.taskCancelRequested) return;
        const { taskId, reason } = parsed.event.data;
        const aborted = cancellations.cancel(taskId, `cancelled${reason ? `: ${reason}` : ''}`);
        log.info({ taskId, aborted }, aborted ? 'task cancelled: aborting its model call' : 'task cancelled');
      },
    });

    return {
      [eventTypes.codegenRequested]: createCodegenHandler({
        git,
        provider,
        gate,
        artifacts,
        changes: openChangesLog(bus),
        templates: await loadTemplates(),
        metrics,
        cancellations,
        settings: {
          answerTokens: config.llm.answerTokens,
          temperature: config.llm.temperature,
          stream: config.llm.stream,
          structured: config.llm.structured,
          fuzzyThreshold: config.codegen.fuzzyThreshold,
          progressIntervalMs: config.codegen.progressIntervalMs,
        },
        knownSecrets: config.knownSecrets,
        source,
      }),
      [eventTypes.deliveryRequested]: createDeliveryHandler({ git, artifacts }),
    };
  },
};
