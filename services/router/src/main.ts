import { runMain } from '@patchbay/runtime';
import { routerService } from './service.js';

await runMain(routerService);
