/**
 * The environment of a trusted child process such as git: this process's own, with `extra`
 * on top. Git needs what the user's shell gives it (HOME for its config, SSH_AUTH_SOCK and
 * credential helpers for remotes). Commands run for a task get an allow-listed environment
 * instead (Config's sandbox settings); this is the one other place the environment is read.
 */
export function inheritedEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
