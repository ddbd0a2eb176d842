import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Artifacts, ChangesLog } from '@patchbay/bus';
import { type CodegenRequested, type FileChange, RepoContext, eventTypes, subjects } from '@patchbay/contracts';
import { CancelledError, EditError, PromptTooLargeError, summarizeError } from '@patchbay/errors';
import { type ChatResult, type LlmProvider, estimateTokens } from '@patchbay/llm';
import { type Handler, type HandlerContext, stageHandler } from '@patchbay/runtime';
import { redactSecrets } from '@patchbay/secrets';
import { withSpan } from '@patchbay/telemetry';
import { type GitWorkspace, diffWorktree, resolveInside } from '@patchbay/workspace';
import { applyEdits } from '../domain/apply-edits.js';
import { type ParsedAnswer, parseEdits } from '../domain/edits.js';
import { type Templates, renderPrompt } from '../domain/prompt.js';
import { parseStructuredEdits, structuredAnswerSchema } from '../domain/structured.js';
import type { Cancellations } from '../cancellations.js';
import type { CodegenMetrics } from '../metrics.js';
import type { ModelGate } from '../model-gate.js';
import { withRepoTemplates } from '../templates.js';

export interface CodegenSettings {
  /** Tokens reserved for the answer: sizes the window and caps the answer. */
  answerTokens: number;
  temperature: number;
  stream: boolean;
  structured: boolean;
  fuzzyThreshold: number;
  /** Minimum time between progress events of one generation. */
  progressIntervalMs: number;
}

export interface CodegenDeps {
  git: GitWorkspace;
  provider: LlmProvider;
  gate: ModelGate;
  artifacts: Artifacts;
  changes: ChangesLog;
  templates: Templates;
  metrics: CodegenMetrics;
  cancellations: Cancellations;
  settings: CodegenSettings;
  knownSecrets: readonly string[];
  source: string;
}

/** Context windows are asked for in whole kibi-tokens, as Ollama users set them. */
const roundUp = (n: number) => Math.ceil(n / 1_024) * 1_024;
/**
 * The estimate (four characters a token) runs low for code in some tokenizers: size with a
 * margin, because a window that is too small truncates the prompt without a word.
 */
const MARGIN = 1.2;

type Attempt =
  | { ok: true; answer: ChatResult; files: FileChange[]; patch: string }
  | { ok: false; answer: ChatResult; error: InstanceType<typeof EditError> };

function progressReporter(req: CodegenRequested, ctx: HandlerContext, intervalMs: number) {
  let last = Date.now();
  return (tokens: number) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    ctx
      .emit(subjects.taskEvents(req.taskId), eventTypes.taskProgress, { stage: 'codegen', attempt: req.attempt, tokens })
      .catch((err: unknown) => ctx.log.debug({ err }, 'progress event not published'));
  };
}

export function createCodegenHandler(deps: CodegenDeps): Handler<typeof eventTypes.codegenRequested> {
  const { settings, metrics } = deps;

  /** Prompt, window check, model call: returns the answer, or throws before anything is sent. */
  async function generate(req: CodegenRequested, dir: string, ctx: HandlerContext, signal: AbortSignal): Promise<ChatResult> {
    const model = req.model ?? deps.provider.info.name;
    const context = await deps.artifacts.getJson(req.contextRef, RepoContext);
    const { templates, overridden } = await withRepoTemplates(deps.templates, dir, req.mode);
    if (overridden.length) ctx.log.info({ templates: overridden }, "using the repository's own prompt templates");
    const prompt = renderPrompt(templates, {
      mode: req.mode,
      title: req.title,
      description: req.description,
      context,
      feedback: req.feedback,
      lessons: req.lessons,
      hypothesis: req.hypothesis,
      strategy: req.strategy,
      focusFiles: req.focusFiles,
      structured: settings.structured,
    });
    const mask = (text: string) => redactSecrets(text, { knownSecrets: deps.knownSecrets });
    const system = mask(prompt.system);
    const user = mask(prompt.user);
    const messages = [
      { role: 'system' as const, content: system },
      { role: 'user' as const, content: user },
    ];
    const promptTokens = Math.ceil(estimateTokens(system + user) * MARGIN);
    const needed = promptTokens + settings.answerTokens;
    const window = await deps.provider.contextWindow(model);
    if (window !== undefined && needed > window) {
      throw new PromptTooLargeError(
        `the prompt needs about ${promptTokens} tokens and the answer ${settings.answerTokens}: ${needed} do not fit the ${window}-token context window of ${model}, so nothing was sent. ` +
          'Use a model with a larger window (or PATCHBAY_LLM_CONTEXT_WINDOW if the server allows more), lower PATCHBAY_ANSWER_TOKENS, or give the context engine a smaller file budget.',
      );
    }
    // Never ask for more than the model has; never less than the prompt needs.
    const numCtx = window !== undefined ? Math.min(window, roundUp(needed)) : roundUp(needed);
    const onToken = progressReporter(req, ctx, settings.progressIntervalMs);
    const attrs = { 'llm.model': model, 'llm.endpoint': deps.gate.endpoint, 'llm.prompt_tokens_est': promptTokens, 'llm.num_ctx': numCtx };
    return withSpan('llm.chat', attrs, async (setAttributes) => {
      const started = performance.now();
      try {
        const answer = await deps.gate.call(
          (callSignal) =>
            deps.provider.chat({
              messages,
              ...(req.model ? { model: req.model } : {}),
              numCtx,
              maxTokens: settings.answerTokens,
              temperature: settings.temperature,
              stream: settings.stream,
              ...(settings.structured ? { format: { name: 'patchbay_edits', schema: structuredAnswerSchema() } } : {}),
              signal: callSignal,
              onToken,
            }),
          { signal, log: ctx.log },
        );
        metrics.tokens.inc({ model: answer.model.name, kind: 'prompt' }, answer.tokens.prompt);
        metrics.tokens.inc({ model: answer.model.name, kind: 'completion' }, answer.tokens.completion);
        metrics.callDuration.observe({ model: answer.model.name, outcome: 'ok' }, answer.durationMs / 1_000);
        setAttributes({ 'llm.prompt_tokens': answer.tokens.prompt, 'llm.completion_tokens': answer.tokens.completion, 'llm.duration_ms': answer.durationMs });
        ctx.log.info(
          { model: answer.model.name, replay: answer.model.replay, tokens: answer.tokens, ms: answer.durationMs, numCtx, truncated: answer.truncated },
          'model answered',
        );
        if (!answer.model.replay && answer.tokens.prompt + answer.tokens.completion >= numCtx) {
          ctx.log.warn({ tokens: answer.tokens, numCtx }, 'the prompt and answer filled the whole context window: the server may have cut the prompt');
        }
        return answer;
      } catch (err) {
        metrics.callDuration.observe({ model, outcome: summarizeError(err).code }, (performance.now() - started) / 1_000);
        throw err;
      }
    });
  }

  /** The answer as edits, applied inside the worktree; an unusable answer is an EditError to feed back. */
  async function apply(req: CodegenRequested, dir: string, answer: ChatResult, ctx: HandlerContext): Promise<Attempt> {
    const parsed: ParsedAnswer = settings.structured ? parseStructuredEdits(answer.content) : parseEdits(answer.content);
    const targets = new Map<string, string>();
    const refused: string[] = [];
    for (const edit of parsed.edits) {
      try {
        targets.set(edit.path, await resolveInside(dir, edit.path));
      } catch (err) {
        refused.push(`${edit.path}: ${(err as Error).message}`);
      }
    }
    const cutOff = answer.truncated
      ? [`the answer was cut off at the answer budget of ${settings.answerTokens} tokens: change less per answer, or use smaller SEARCH/REPLACE blocks`]
      : [];
    if (refused.length) {
      return { ok: false, answer, error: new EditError(`edits refused, every path must stay inside the repository and out of .git:\n${refused.map((e) => `- ${e}`).join('\n')}`) };
    }
    const before = new Map<string, string | undefined>();
    for (const [path, abs] of targets) before.set(path, await readFile(abs, 'utf8').catch(() => undefined));
    const applied = applyEdits((path) => before.get(path), parsed.edits, {
      fuzzyThreshold: settings.fuzzyThreshold,
      allowRewrite: req.strategy === 'whole-file',
    });
    const errors = [...cutOff, ...parsed.errors, ...applied.errors];
    if (errors.length) return { ok: false, answer, error: new EditError(`the answer could not be applied:\n${errors.map((e) => `- ${e}`).join('\n')}`) };
    for (const m of applied.matches) metrics.editMatches.inc({ kind: m.kind });
    const lenient = applied.matches.filter((m) => m.kind === 'whitespace' || m.kind === 'fuzzy');
    if (lenient.length) ctx.log.info({ matches: lenient }, 'some SEARCH blocks matched only loosely');
    for (const [path, content] of applied.files) {
      const abs = targets.get(path) as string;
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, content);
    }
    const diff = await diffWorktree(dir, req.baseCommit);
    if (diff.files.length === 0) return { ok: false, answer, error: new EditError('the edits changed nothing: every REPLACE equals its SEARCH') };
    return { ok: true, answer, files: diff.files, patch: diff.patch };
  }

  return stageHandler('codegen', async (event, ctx) => {
    const req = event.data;
    const task = deps.cancellations.track(req.taskId);
    try {
      if (task.cancelled) throw new CancelledError(`task ${req.taskId} was cancelled; not generating`);
      // While the endpoint's circuit is open, wait on the bus before doing any work.
      deps.gate.assertClosed();
      const signal = AbortSignal.any([ctx.signal, task.signal]);
      const attempt = await deps.git.withWorktree(req.repo.url, req.baseCommit, async (dir) => {
        let answer: ChatResult;
        try {
          answer = await generate(req, dir, ctx, signal);
        } catch (err) {
          if (task.signal.aborted) throw new CancelledError(`task ${req.taskId} was cancelled during generation`, { cause: err });
          throw err;
        }
        return apply(req, dir, answer, ctx);
      });
      const { answer } = attempt;
      if (!attempt.ok) {
        // The tokens were spent: report them with the failure so the task's account is right.
        ctx.log.warn({ err: attempt.error.message }, 'model answer not applicable');
        await ctx.emit(
          subjects.workResult('codegen'),
          eventTypes.stageFailed,
          { taskId: req.taskId, attempt: req.attempt, stage: 'codegen', error: summarizeError(attempt.error), tokens: answer.tokens, model: answer.model },
          { msgId: `${req.taskId}.codegen.${req.attempt}.failed` },
        );
        return;
      }
      const diffRef = await deps.artifacts.put(`diffs/${req.taskId}/${req.attempt}.patch`, attempt.patch);
      const timestamp = new Date().toISOString();
      await deps.changes.append(
        attempt.files.map((f) => ({
          timestamp,
          iteration: req.attempt,
          file: f.path,
          action: f.action,
          task: req.taskId,
          description: `attempt ${req.attempt} (${req.mode}${req.strategy === 'whole-file' ? ', whole files' : ''}): ${req.title}`.slice(0, 500),
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
          files: attempt.files,
          tokens: answer.tokens,
          model: answer.model,
          durationMs: answer.durationMs,
        },
        { msgId: `${req.taskId}.codegen.${req.attempt}.result` },
      );
    } finally {
      task.release();
    }
  });
}
