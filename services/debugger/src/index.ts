export { debuggerService } from './service.js';
export { calledNames, changedFilesOf, formHypothesis } from './domain/hypothesis.js';
