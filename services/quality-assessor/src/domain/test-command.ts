/**
 * How to ask a repository's test runner for JUnit XML without changing what it runs: the
 * flags each runner takes, appended to the command (through npm's `--` for npm scripts).
 * Runners we cannot ask (jest without jest-junit, make, cargo) run as they are and their
 * output is read instead; `go test` gets `-json`, which we convert.
 */
export interface JunitPlan {
  command: string;
  /** Where the JUnit file will be, or null when the runner writes go test's JSON to stdout instead. */
  junit: string | null;
  format: 'junit' | 'go-json';
  runner: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function forRunner(script: string, junitPath: string): { flags: string; runner: string } | null {
  const s = script.trim();
  if (/^node\b(?:\s+--[\w-]+(?:=\S+)?)*\s+--test\b/.test(s) && !/--test-reporter/.test(s)) {
    // Keep TAP on stdout, as without the flags, and add the JUnit file.
    return { flags: `--test-reporter=tap --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=${quote(junitPath)}`, runner: 'node:test' };
  }
  if (/^(?:npx\s+)?vitest\b/.test(s) && !/--reporter/.test(s)) {
    return { flags: `--reporter=default --reporter=junit --outputFile.junit=${quote(junitPath)}`, runner: 'vitest' };
  }
  if (/^(?:python3?\s+-m\s+)?pytest\b/.test(s) && !/--junit-?xml/.test(s)) {
    return { flags: `--junitxml=${quote(junitPath)}`, runner: 'pytest' };
  }
  return null;
}

/** The command with JUnit output added where the runner supports it, or null to run it as it is. */
export function planJunit(command: string, junitPath: string, packageScripts: Readonly<Record<string, string>> = {}): JunitPlan | null {
  const cmd = command.trim();
  if (/[;&|<>`$]/.test(cmd)) return null; // a pipeline or a compound command: leave it alone
  const npm = /^npm\s+(?:run\s+)?(test|[\w:-]+)$/.exec(cmd);
  if (npm) {
    const script = packageScripts[npm[1] ?? 'test'];
    if (script === undefined) return null;
    const plan = forRunner(script, junitPath);
    return plan ? { command: `${cmd} -- ${plan.flags}`, junit: junitPath, format: 'junit', runner: plan.runner } : null;
  }
  const go = /^go\s+test\b(.*)$/.exec(cmd);
  if (go && !/-json\b/.test(cmd)) return { command: `go test -json${go[1] ?? ''}`, junit: null, format: 'go-json', runner: 'go test' };
  const plan = forRunner(cmd, junitPath);
  return plan ? { command: `${cmd} ${plan.flags}`, junit: junitPath, format: 'junit', runner: plan.runner } : null;
}
