export { codegenService } from './service.js';
export { parseEdits, type Edit, type ParsedAnswer } from './domain/edits.js';
export { applyEdits, reindent, type ApplyOptions, type EditResult, type MatchKind } from './domain/apply-edits.js';
export { StructuredAnswer, parseStructuredEdits, structuredAnswerSchema } from './domain/structured.js';
export { CALL_REASONS, callReasonOf, retryDelayMs, type CallReason, type RetryPolicy } from './domain/retry-policy.js';
export { renderPrompt, type Templates } from './domain/prompt.js';
export { REPO_TEMPLATE_DIR, loadTemplates, withRepoTemplates } from './templates.js';
