/** What a test run's output says, whatever the runner: counts and the names of failing tests. */
export interface TestSummary {
  passed?: number;
  failed?: number;
  failingTests: string[];
  runner?: string;
}

const num = (s: string | undefined) => (s === undefined ? undefined : Number.parseInt(s, 10));

function unique(names: string[]): string[] {
  return [...new Set(names.map((n) => n.trim()).filter(Boolean))].slice(0, 200);
}

function vitestFailing(text: string): string[] {
  const details = [...text.matchAll(/^\s*FAIL\s+(.+?)\s*$/gm)].map((x) => x[1] ?? '');
  if (details.length) return details;
  return [...text.matchAll(/^\s*×\s+(.+?)(?:\s+\d+m?s)?\s*$/gm)].map((x) => x[1] ?? '');
}

/** Recognises node:test (TAP and spec), Jest, Vitest, pytest, unittest, go test and cargo test. */
export function summarizeTestOutput(output: string): TestSummary {
  const text = output.replace(/\x1b\[[0-9;]*m/g, '');
  let m: RegExpExecArray | null;

  // node:test, TAP reporter: "# pass 3" / "# fail 1"; spec reporter: "ℹ pass 3".
  const nodePass = /^(?:#|ℹ)\s*pass\s+(\d+)\s*$/m.exec(text);
  const nodeFail = /^(?:#|ℹ)\s*fail\s+(\d+)\s*$/m.exec(text);
  if (nodePass || nodeFail) {
    // TAP nests subtests: a failing suite repeats its failing children; keep the leaves.
    const lines = text.split('\n');
    const tap = lines.flatMap((line, i) => {
      const x = /^\s*not ok \d+ - (.+?)\s*(?:#.*)?$/.exec(line);
      if (!x) return [];
      for (let k = i + 1; k < lines.length && !/^\s*(?:not )?ok \d+ |^\s*\.\.\.\s*$/.test(lines[k] ?? ''); k++) {
        if (/failureType: '?subtestsFailed/.test(lines[k] ?? '')) return [];
      }
      return [x[1] ?? ''];
    });
    // The spec reporter lists the leaves again under "failing tests:"; suites only above it.
    const section = text.search(/^✖ failing tests:/m);
    const spec = [...text.slice(Math.max(section, 0)).matchAll(/^\s*✖ (.+?)(?: \([\d.]+m?s\))?\s*$/gm)].map((x) => x[1] ?? '');
    const failing = [...tap, ...spec].filter((n) => !/^(failing tests:|tests? failed)/i.test(n));
    return { passed: num(nodePass?.[1]), failed: num(nodeFail?.[1]), failingTests: unique(failing), runner: 'node:test' } as TestSummary;
  }
  // Jest: "Tests:       1 failed, 3 passed, 4 total"
  if ((m = /^Tests:\s+(.*total)/m.exec(text))) {
    const line = m[1] ?? '';
    return {
      passed: num(/(\d+) passed/.exec(line)?.[1]) ?? 0,
      failed: num(/(\d+) failed/.exec(line)?.[1]) ?? 0,
      failingTests: unique([...text.matchAll(/^\s*● (.+?)\s*$/gm)].map((x) => x[1] ?? '').filter((n) => !n.startsWith('Test suite failed'))),
      runner: 'jest',
    };
  }
  // Vitest: " Tests  1 failed | 3 passed (4)"
  if ((m = /^\s*Tests\s+(.*)\(\d+\)\s*$/m.exec(text))) {
    const line = m[1] ?? '';
    return {
      passed: num(/(\d+) passed/.exec(line)?.[1]) ?? 0,
      failed: num(/(\d+) failed/.exec(line)?.[1]) ?? 0,
      // Each failure shows twice: "× name" in the file's list, "FAIL  file > suite > name" in the details.
      failingTests: unique(vitestFailing(text)),
      runner: 'vitest',
    };
  }
  // pytest: "==== 1 failed, 3 passed in 0.12s ====", or without the rule under -q
  if ((m = /^(?:=+ )?(\d+ .*(?:passed|failed|error).*) in [\d.]+s\b.*$/m.exec(text))) {
    const line = m[1] ?? '';
    return {
      passed: num(/(\d+) passed/.exec(line)?.[1]) ?? 0,
      failed: (num(/(\d+) failed/.exec(line)?.[1]) ?? 0) + (num(/(\d+) errors?/.exec(line)?.[1]) ?? 0),
      failingTests: unique([...text.matchAll(/^(?:FAILED|ERROR) (\S+)/gm)].map((x) => x[1] ?? '')),
      runner: 'pytest',
    };
  }
  // unittest: "Ran 4 tests" then "FAILED (failures=1, errors=1)" or "OK"
  if ((m = /^Ran (\d+) tests? in/m.exec(text))) {
    const total = num(m[1]) ?? 0;
    const failures = num(/failures=(\d+)/.exec(text)?.[1]) ?? 0;
    const errors = num(/errors=(\d+)/.exec(text)?.[1]) ?? 0;
    return {
      passed: total - failures - errors,
      failed: failures + errors,
      failingTests: unique([...text.matchAll(/^(?:FAIL|ERROR): (\S+ \([^)]+\))/gm)].map((x) => x[1] ?? '')),
      runner: 'unittest',
    };
  }
  // cargo: "test result: FAILED. 3 passed; 1 failed;"
  const cargo = [...text.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed;/gm)];
  if (cargo.length) {
    return {
      passed: cargo.reduce((s, x) => s + (num(x[1]) ?? 0), 0),
      failed: cargo.reduce((s, x) => s + (num(x[2]) ?? 0), 0),
      failingTests: unique([...text.matchAll(/^---- (\S+) stdout ----$/gm)].map((x) => x[1] ?? '')),
      runner: 'cargo',
    };
  }
  // go test: "--- FAIL: TestX" / "--- PASS: TestY" (verbose), "FAIL\tpkg" / "ok  \tpkg"
  const goFail = [...text.matchAll(/^\s*--- FAIL: (\S+)/gm)].map((x) => x[1] ?? '');
  const goPass = [...text.matchAll(/^\s*--- PASS: (\S+)/gm)];
  if (goFail.length || goPass.length || /^(ok|FAIL)\s+\S+/m.test(text)) {
    return { passed: goPass.length, failed: goFail.length, failingTests: unique(goFail), runner: 'go test' };
  }
  return { failingTests: [] };
}
