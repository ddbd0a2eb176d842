export { codegenService } from './service.js';
export { parseEdits, type Edit } from './domain/edits.js';
export { applyEdits } from './domain/apply-edits.js';
export { renderPrompt, type Templates } from './domain/prompt.js';
export { loadTemplates } from './templates.js';
