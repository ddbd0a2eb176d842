export { startNats, type TestNats } from './nats-server.js';
export { startScriptedOllama, type RecordedRequest, type ScriptedOllama, type ScriptedOllamaOptions, type ScriptedReply } from './scripted-ollama.js';
export { createGitFixture, type GitFixture } from './git-fixture.js';
