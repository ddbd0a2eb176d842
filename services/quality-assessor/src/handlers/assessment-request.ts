import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifacts, KeyValueCache } from '@patchbay/bus';
import { type QualityConfig, withRepositoryOverride } from '@patchbay/config';
import { type Assessment, type Finding, type QualityDimension, eventTypes, subjects } from '@patchbay/contracts';
import { type Handler, stageHandler } from '@patchbay/runtime';
import { redactSecrets } from '@patchbay/secrets';
import { withSpan } from '@patchbay/telemetry';
import { type GitWorkspace, applyPatch } from '@patchbay/workspace';
import { type AnalysisReport, type SandboxSettings, analyzeTree } from '../analyze.js';
import { touchedLines } from '../domain/diff.js';
import { scoreAttempt } from '../domain/scoring.js';

export interface AssessorDeps {
  git: GitWorkspace;
  artifacts: Artifacts;
  cache: KeyValueCache;
  quality: QualityConfig;
  scratchRoot: string;
  testTimeoutMs: number;
  sandbox: SandboxSettings;
  knownSecrets: readonly string[];
}

const EXCERPT_CHARS = 4_000;
const MAX_FINDINGS = 100;
const OVERRIDE = '.patchbay/agent_config.yaml';

/**
 * Applies the candidate diff to a fresh worktree, runs the analysers and the repository's
 * tests in the sandbox, and scores the seven dimensions on the lines the diff touched.
 */
export function createAssessmentHandler(deps: AssessorDeps): Handler<typeof eventTypes.assessmentRequested> {
  return stageHandler('assessment', async (event, ctx) => {
    const req = event.data;
    const patch = await deps.artifacts.getText(req.diffRef);
    const scratchDir = join(deps.scratchRoot, `${req.taskId}-${req.attempt}-${randomBytes(3).toString('hex')}`);
    const redact = (text: string) => redactSecrets(text, { knownSecrets: deps.knownSecrets });
    const notices: string[] = [];
    let config = deps.quality;
    let repoThreshold: number | undefined;
    let report: AnalysisReport;
    try {
      report = await deps.git.withWorktree(req.repo.url, req.baseCommit, async (dir) => {
        // The repository's own settings, as they are at the base: a candidate diff cannot loosen them.
        const own = await readFile(join(dir, OVERRIDE), 'utf8').catch(() => undefined);
        if (own !== undefined) {
          try {
            const layered = withRepositoryOverride(deps.quality, own, OVERRIDE);
            config = layered.config;
            repoThreshold = layered.threshold;
            notices.push(`the repository's ${OVERRIDE} was applied`);
          } catch (err) {
            notices.push(`the repository's ${OVERRIDE} was ignored: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`);
          }
        }
        await applyPatch(dir, patch);
        return withSpan('quality.analyze', { 'test.command': req.testCommand ?? '' }, () =>
          analyzeTree({
            dir,
            config,
            cache: deps.cache,
            sandbox: deps.sandbox,
            scratch: scratchDir,
            touched: touchedLines(patch),
            testCommand: req.testCommand,
            testTimeoutMs: deps.testTimeoutMs,
            redact,
            signal: ctx.signal,
          }),
        );
      });
    } finally {
      await rm(scratchDir, { recursive: true, force: true });
    }

    // A task's own threshold, else the repository's, else the operator's (carried in the request).
    const threshold = req.thresholdFromTask || repoThreshold === undefined ? req.qualityThreshold : repoThreshold;
    const charged = report.findings.filter((f) => f.touched);
    const preexisting = report.findings.filter((f) => !f.touched);
    const run = report.tests;
    const scored = scoreAttempt(
      { ran: run !== null, exitCode: run?.exitCode ?? null, timedOut: run?.timedOut ?? false, passed: run?.passed, failed: run?.failed },
      charged,
      config.quality,
      threshold,
    );
    const outputRef = run ? await deps.artifacts.put(`outputs/${req.taskId}/${req.attempt}.log`, run.output) : undefined;
    const findingsRef = await deps.artifacts.putJson(`findings/${req.taskId}/${req.attempt}.json`, { findings: report.findings, analysers: report.analysers, notices: report.notices });
    const byDimension: Partial<Record<QualityDimension, number>> = {};
    for (const f of preexisting) byDimension[f.dimension] = (byDimension[f.dimension] ?? 0) + 1;
    const assessment: Assessment = {
      attempt: req.attempt,
      passed: scored.passed,
      score: scored.score,
      threshold,
      scores: scored.scores,
      tests: run
        ? {
            command: run.command,
            exitCode: run.exitCode,
            timedOut: run.timedOut,
            durationMs: run.durationMs,
            ...(run.passed !== undefined ? { passed: run.passed } : {}),
            ...(run.failed !== undefined ? { failed: run.failed } : {}),
          }
        : null,
      failingTests: run?.failingTests ?? [],
      outputExcerpt: run ? run.output.slice(-EXCERPT_CHARS) : 'No test command was found for this repository.',
      ...(outputRef ? { outputRef } : {}),
      isolated: report.isolated,
      findings: charged.slice(0, MAX_FINDINGS).map(redactFinding(redact)),
      findingsTotal: charged.length,
      preexisting: { count: preexisting.length, byDimension, sample: preexisting.slice(0, 20).map(redactFinding(redact)) },
      ...(scored.reasons.length ? { reasons: scored.reasons.slice(0, 20).map((r) => r.slice(0, 500)) } : {}),
      analysers: report.analysers.slice(0, 40),
      notices: [...notices, ...report.notices].slice(0, 20).map((n) => n.slice(0, 500)),
      findingsRef,
    };
    ctx.log.info(
      { passed: scored.passed, score: scored.score, exitCode: run?.exitCode, failing: run?.failingTests.length ?? 0, charged: charged.length, preexisting: preexisting.length, isolated: report.isolated },
      'attempt assessed',
    );
    await ctx.emit(
      subjects.workResult('assessment'),
      eventTypes.assessmentCompleted,
      { taskId: req.taskId, attempt: req.attempt, assessment },
      { msgId: `${req.taskId}.assessment.${req.attempt}.result` },
    );
  });
}

const redactFinding = (redact: (t: string) => string) => (f: Finding): Finding => ({ ...f, message: redact(f.message) });
