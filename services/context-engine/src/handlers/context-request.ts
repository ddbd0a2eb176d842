import type { Artifacts, Board } from '@patchbay/bus';
import { type BoardEntry, eventTypes, subjects } from '@patchbay/contracts';
import { type Handler, stageHandler } from '@patchbay/runtime';
import type { GitWorkspace } from '@patchbay/workspace';
import { assembleContext } from '../domain/assemble.js';
import { isNoise } from '../domain/languages.js';
import { projectFacts } from '../domain/project-facts.js';

export interface ContextDeps {
  git: GitWorkspace;
  board: Board;
  artifacts: Artifacts;
  budgetChars: number;
  knownSecrets: readonly string[];
}

/** Files larger than this are listed but not read. */
const MAX_READ_BYTES = 512 * 1024;
const AGENT = 'context-engine';

export function createContextHandler(deps: ContextDeps): Handler<typeof eventTypes.contextRequested> {
  return stageHandler('context', async (event, ctx) => {
    const { taskId, attempt, repo, title, description } = event.data;
    const commit = await deps.git.resolveCommit(repo.url, repo.ref);
    const files = await deps.git.listFiles(repo.url, commit);
    const readable = files.filter((f) => f.size <= MAX_READ_BYTES && !isNoise(f.path));
    const blobs = await deps.git.readBlobs(repo.url, readable.map((f) => f.blob));
    const byPath = new Map(files.map((f) => [f.path, f.blob]));
    const text = (path: string) => {
      const blob = byPath.get(path);
      const data = blob ? blobs.get(blob) : undefined;
      return data === undefined || data.includes(0) ? undefined : data.toString('utf8');
    };

    // Read the board before exploring: what another agent found need not be found again.
    const board = await deps.board.read(repo.url);
    const known = (type: BoardEntry['type']) => board.find((e) => e.type === type);
    const fromBoard: string[] = [];
    const facts = projectFacts(files.map((f) => f.path), text);
    const boardTestCommand = known('test_command');
    if (boardTestCommand && typeof boardTestCommand.data['unit'] === 'string') {
      facts.testCommand = boardTestCommand.data['unit'];
      fromBoard.push('test_command');
    }
    if (known('tech_stack')) fromBoard.push('tech_stack');

    const context = assembleContext(
      { repo: repo.url, commit, files, text },
      facts,
      `${title}\n${description ?? ''}`,
      deps.budgetChars,
      deps.knownSecrets,
      fromBoard,
    );
    const contextRef = await deps.artifacts.putJson(`context/${taskId}.json`, context);

    const ts = new Date().toISOString();
    const writes: BoardEntry[] = [];
    if (!known('tech_stack')) {
      writes.push({
        ts,
        agent: AGENT,
        type: 'tech_stack',
        repo: repo.url,
        commit,
        files: facts.manifests.map((m) => m.path),
        data: {
          languages: context.languages.map((l) => l.name),
          frameworks: context.frameworks,
          manifests: facts.manifests.map((m) => m.path),
        },
      });
    }
    if (!boardTestCommand && facts.testCommand !== undefined) {
      writes.push({
        ts,
        agent: AGENT,
        type: 'test_command',
        repo: repo.url,
        commit,
        files: facts.sources,
        data: { unit: facts.testCommand, ...(facts.testFramework ? { framework: facts.testFramework } : {}) },
      });
    }
    for (const entry of writes) {
      const written = await deps.board.write(entry);
      ctx.log.debug({ type: entry.type, written }, written ? 'board entry written' : 'board entry already there');
    }

    await ctx.emit(
      subjects.workResult('context'),
      eventTypes.contextCompleted,
      {
        taskId,
        // 0 for a new task; a re-opened task asks again (for its delivered commit) with its attempt.
        attempt,
        baseCommit: commit,
        contextRef,
        summary: {
          languages: Object.fromEntries(context.languages.map((l) => [l.name, l.files])),
          manifests: facts.manifests.map((m) => m.path),
          ...(facts.testCommand !== undefined ? { testCommand: facts.testCommand } : {}),
          fileCount: files.length,
          fromBoard,
        },
      },
      { msgId: `${taskId}.context.${attempt}.result` },
    );
    ctx.log.info({ commit, files: files.length, testCommand: facts.testCommand, fromBoard }, 'context ready');
  });
}
