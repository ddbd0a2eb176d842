import type { Artifacts } from '@patchbay/bus';
import { eventTypes, subjects } from '@patchbay/contracts';
import { type Handler, stageHandler } from '@patchbay/runtime';
import { type GitWorkspace, applyPatch, commitAll, pushBranch } from '@patchbay/workspace';

export interface DeliveryDeps {
  git: GitWorkspace;
  artifacts: Artifacts;
}

/** Commits the assessed diff onto its base and pushes it as the task's branch. */
export function createDeliveryHandler(deps: DeliveryDeps): Handler<typeof eventTypes.deliveryRequested> {
  return stageHandler('delivery', async (event, ctx) => {
    const req = event.data;
    const patch = await deps.artifacts.getText(req.diffRef);
    const commit = await deps.git.withWorktree(req.repo.url, req.baseCommit, async (dir) => {
      await applyPatch(dir, patch);
      const sha = await commitAll(dir, req.message, req.date);
      await pushBranch(dir, req.repo.url, sha, req.branch);
      return sha;
    });
    ctx.log.info({ branch: req.branch, commit }, 'branch pushed');
    await ctx.emit(
      subjects.workResult('delivery'),
      eventTypes.deliveryCompleted,
      { taskId: req.taskId, attempt: req.attempt, branch: req.branch, commit },
      { msgId: `${req.taskId}.delivery.${req.attempt}.result` },
    );
  });
}
