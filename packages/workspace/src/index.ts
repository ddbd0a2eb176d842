export { applyPatch, catBlobs, commitAll, createGitWorkspace, diffWorktree, git, pushBranch, type GitWorkspace, type RepoFile, type WorktreeDiff } from './git.js';
export { runGit, type GitRun, type GitRunOptions } from './git-process.js';
export { isolationSupport, runSandboxed, type IsolationMode, type IsolationSupport, type SandboxOptions, type SandboxResult } from './sandbox.js';
export { resolveInside } from './paths.js';
