import { runMain } from '@patchbay/runtime';
import { debuggerService } from './service.js';

await runMain(debuggerService);
