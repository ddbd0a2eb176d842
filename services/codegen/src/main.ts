import { runMain } from '@patchbay/runtime';
import { codegenService } from './service.js';

await runMain(codegenService);
