export { contextEngineService } from './service.js';
export { projectFacts, type ProjectFacts } from './domain/project-facts.js';
