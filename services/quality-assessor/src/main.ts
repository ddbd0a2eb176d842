import { runMain } from '@patchbay/runtime';
import { qualityAssessorService } from './service.js';

await runMain(qualityAssessorService);
