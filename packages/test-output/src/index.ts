export { summarizeTestOutput, type TestSummary } from './summary.js';
export { extractFailures, type FailureDetail } from './failures.js';
