import { runMain } from '@patchbay/runtime';
import { feedbackProcessorService } from './service.js';

await runMain(feedbackProcessorService);
