export { contextEngineService } from './service.js';
export { projectFacts, type ProjectFacts } from './domain/project-facts.js';
export { type Analysis, ANALYSIS_VERSION } from './domain/analysis.js';
export { analyzeRepository, type AnalyzeOptions, type AnalyzeResult } from './engine/analyze.js';
export { contextForTask, type TaskContextResult, type TaskRequest } from './engine/context-for-task.js';
export { openContextCache, memoryContextCache, type ContextCache } from './engine/cache.js';
export { commitSource, workingTreeSource, type Identity, type RepoSource, type Listing } from './engine/source.js';
export { loadSymbolParser, type SymbolParser } from './parsing/tree-sitter.js';
export { renderContextText } from './domain/render-text.js';
