import { runMain } from '@patchbay/runtime';
import { contextEngineService } from './service.js';

await runMain(contextEngineService);
