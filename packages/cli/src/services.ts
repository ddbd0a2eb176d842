import { codegenService } from '@patchbay/codegen';
import { contextEngineService } from '@patchbay/context-engine';
import { debuggerService } from '@patchbay/debugger';
import { feedbackProcessorService } from '@patchbay/feedback-processor';
import { qualityAssessorService } from '@patchbay/quality-assessor';
import { routerService } from '@patchbay/router';
import type { ServiceDefinition } from '@patchbay/runtime';

/** Every service, in the order `patchbay up` starts them. */
export const ALL_SERVICES: readonly ServiceDefinition[] = [
  routerService,
  contextEngineService,
  codegenService,
  qualityAssessorService,
  feedbackProcessorService,
  debuggerService,
];

export function serviceByName(name: string): ServiceDefinition | undefined {
  return ALL_SERVICES.find((s) => s.name === name);
}
