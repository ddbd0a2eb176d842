export { qualityAssessorService } from './service.js';
export { scoreAttempt } from './domain/scoring.js';
