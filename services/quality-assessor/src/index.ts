export { qualityAssessorService } from './service.js';
export { scoreAttempt, type Scored, type TestOutcome } from './domain/scoring.js';
export { touchedLines, isTouched, type TouchedLines } from './domain/diff.js';
export { analyzeTree, ANALYSERS, type AnalysisReport, type AnalyzeOptions, type SandboxSettings } from './analyze.js';
export { parseJunit, parseGoTestJson, type TestResults } from './domain/junit.js';
export { planJunit } from './domain/test-command.js';
