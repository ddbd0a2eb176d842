import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Artifacts, ChangesLog } from '@patchbay/bus';
import { RepoContext, eventTypes, subjects } from '@patchbay/contracts';
import { EditError, isPatchbayError, summarizeError } from '@patchbay/errors';
import { type ChatResult, type LlmProvider, estimateTokens } from '@patchbay/llm';
import { type Handler, stageHandler } from '@patchbay/runtime';
import { redactSecrets } from '@patchbay/secrets';
import { withSpan } from '@patchbay/telemetry';
import { type GitWorkspace, diffWorktree, resolveInside } from '@patchbay/workspace';
import { applyEdits } from '../domain/apply-edits.js';
import { parseEdits } from '../domain/edits.js';
import { type Templates, renderPrompt } from '../domain/prompt.js';

export interface CodegenDeps {
  git: GitWorkspace;
  provider: LlmProvider;
  artifacts: Artifacts;
  changes: ChangesLog;
  templates: Templates;
  answerTokens: number;
  temperature: number;
  knownSecrets: readonly string[];
  source: string;
  /** Minimum time between progress events of one generation. */
  progressIntervalMs?: number;
}

/** Context windows are asked for in whole kibi-tokens, as Ollama users set them. */
const roundUp = (n: number) => Math.ceil(n / 1_024) * 1_024;

export function createCodegenHandler(deps: CodegenDeps): Handler<typeof eventTypes.codegenRequested> {
  return stageHandler('codegen', async (event, ctx) => {
    const req = event.data;
    const context = await deps.artifacts.getJson(req.contextRef, RepoContext);
    const prompt = renderPrompt(deps.templates, {
      mode: req.mode,
      title: req.title,
      description: req.description,
      context,
      feedback: req.feedback,
      lessons: req.lessons,
    });
    const messages = [
      { role: 'system' as const, content: prompt.system },
      { role: 'user' as const, content: redactSecrets(prompt.user, { knownSecrets: deps.knownSecrets }) },
    ];
    const promptTokens = estimateTokens(prompt.system + prompt.user);
    let lastProgress = Date.now();
    const interval = deps.progressIntervalMs ?? 1_000;
    const onToken = (tokens: number) => {
      const now = Date.now();
      if (now - lastProgress < interval) return;
      lastProgress = now;
      ctx
        .emit(subjects.taskEvents(req.taskId), eventTypes.taskProgress, { stage: 'codegen', attempt: req.attempt, tokens })
        .catch((err: unknown) => ctx.log.debug({ err }, 'progress event not published'));
    };

    const answer: ChatResult = await withSpan('llm.chat', { 'llm.model': req.model ?? deps.provider.info.name, 'llm.prompt_tokens_est': promptTokens }, () =>
      deps.provider.chat({
        messages,
        ...(req.model ? { model: req.model } : {}),
        numCtx: roundUp(promptTokens + deps.answerTokens),
        temperature: deps.temperature,
        signal: ctx.signal,
        onToken,
      }),
    );
    ctx.log.info({ tokens: answer.tokens, model: answer.model.name, ms: answer.durationMs }, 'model answered');

    try {
      const parsed = parseEdits(answer.content);
      const diff = await deps.git.withWorktree(req.repo.url, req.baseCommit, async (dir) => {
        const targets = new Map<string, string>();
        const pathErrors: string[] = [];
        for (const edit of parsed.edits) {
          try {
            targets.set(edit.path, await resolveInside(dir, edit.path));
          } catch (err) {
            pathErrors.push(`${edit.path}: ${(err as Error).message}`);
          }
        }
        if (pathErrors.length) throw new EditError(`edits refused:\n${pathErrors.join('\n')}`);
        const before = new Map<string, string | undefined>();
        for (const [path, abs] of targets) before.set(path, await readFile(abs, 'utf8').catch(() => undefined));
        const applied = applyEdits((path) => before.get(path), parsed.edits);
        const errors = [...parsed.errors, ...applied.errors];
        if (errors.length) throw new EditError(`the answer could not be applied:\n${errors.map((e) => `- ${e}`).join('\n')}`);
        for (const [path, content] of applied.files) {
          const abs = targets.get(path) as string;
          await mkdir(dirname(abs), { recursive: true });
          await writeFile(abs, content);
        }
        return diffWorktree(dir, req.baseCommit);
      });
      if (diff.files.length === 0) throw new EditError('the edits changed nothing: every REPLACE equals its SEARCH');

      const diffRef = await deps.artifacts.put(`diffs/${req.taskId}/${req.attempt}.patch`, diff.patch);
      const timestamp = new Date().toISOString();
      await deps.changes.append(
        diff.files.map((f) => ({
          timestamp,
          iteration: req.attempt,
          file: f.path,
          action: f.action,
          task: req.taskId,
          description: `attempt ${req.attempt} (${req.mode}): ${req.title}`.slice(0, 500),
          lines_added: f.linesAdded,
          lines_removed: f.linesRemoved,
        })),
        deps.source,
        ctx.traceparent,
      );
      await ctx.emit(
        subjects.workResult('codegen'),
        eventTypes.codegenCompleted,
        {
          taskId: req.taskId,
          attempt: req.attempt,
          diffRef,
          files: diff.files,
          tokens: answer.tokens,
          model: answer.model,
          durationMs: answer.durationMs,
        },
        { msgId: `${req.taskId}.codegen.${req.attempt}.result` },
      );
    } catch (err) {
      if (!isPatchbayError(err) || err.code !== 'EDIT_INVALID') throw err;
      // The tokens were spent: report them with the failure so the task's account is right.
      ctx.log.warn({ err: err.message }, 'model answer not applicable');
      await ctx.emit(
        subjects.workResult('codegen'),
        eventTypes.stageFailed,
        { taskId: req.taskId, attempt: req.attempt, stage: 'codegen', error: summarizeError(err), tokens: answer.tokens, model: answer.model },
        { msgId: `${req.taskId}.codegen.${req.attempt}.failed` },
      );
    }
  });
}
