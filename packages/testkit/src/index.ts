export { startNats, type TestNats } from './nats-server.js';
export { type RecordedRequest, type ScriptedReply } from './scripted-http.js';
export { startScriptedOllama, type ScriptedOllama, type ScriptedOllamaOptions } from './scripted-ollama.js';
export { startScriptedOpenAi, type ScriptedOpenAi, type ScriptedOpenAiOptions } from './scripted-openai.js';
export { createGitFixture, type GitFixture } from './git-fixture.js';
export { MEDIAN_TEST, ONE_MIDDLE_MEDIAN } from './median-fixture.js';
export { until } from './until.js';
