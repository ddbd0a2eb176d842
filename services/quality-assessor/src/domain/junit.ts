import { XMLParser } from 'fast-xml-parser';

/** Test results as a JUnit file (or go test's JSON) reports them. */
export interface TestResults {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  failures: Array<{ name: string; message: string; location?: { file: string; line: number } }>;
}

type XmlNode = Record<string, unknown>;
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const FRAME = /(?:file:\/\/)?(\/[^\s():]+|[\w./-]+\.(?:[cm]?[jt]sx?|py|go|rs)):(\d+)/;
const IGNORED = /node_modules|node:internal|^node:|site-packages|\/usr\/lib\//;

function location(text: string, roots: readonly string[]): { file: string; line: number } | undefined {
  for (const line of text.split('\n')) {
    const m = FRAME.exec(line);
    if (!m || IGNORED.test(m[1] ?? '')) continue;
    let file = m[1] ?? '';
    for (const root of roots) if (root && file.startsWith(root)) file = file.slice(root.length).replace(/^\/+/, '');
    const marker = file.search(/\/worktrees\/[^/]+\//);
    if (marker >= 0) file = file.slice(marker).replace(/^\/worktrees\/[^/]+\//, '');
    return { file, line: Number.parseInt(m[2] ?? '0', 10) };
  }
  return undefined;
}

/** Reads JUnit XML as node:test, vitest, jest-junit and pytest write it. */
export function parseJunit(xml: string, roots: readonly string[] = []): TestResults | null {
  let doc: XmlNode;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false, processEntities: true }).parse(xml) as XmlNode;
  } catch {
    return null;
  }
  const cases: XmlNode[] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    for (const item of asArray(node as XmlNode | XmlNode[])) {
      for (const c of asArray(item['testcase'] as XmlNode | XmlNode[] | undefined)) cases.push(c);
      for (const key of ['testsuites', 'testsuite']) if (item[key] !== undefined) visit(item[key]);
    }
  };
  visit(doc);
  if (cases.length === 0 && doc['testsuites'] === undefined && doc['testsuite'] === undefined) return null;
  const results: TestResults = { total: 0, passed: 0, failed: 0, skipped: 0, failures: [] };
  for (const c of cases) {
    results.total += 1;
    const failure = (asArray(c['failure'] as unknown) as unknown[])[0] ?? (asArray(c['error'] as unknown) as unknown[])[0];
    if (failure !== undefined) {
      results.failed += 1;
      const f = typeof failure === 'object' && failure !== null ? (failure as XmlNode) : { '#text': String(failure) };
      const text = `${String(f['@message'] ?? '')}\n${String(f['#text'] ?? '')}`;
      const classname = String(c['@classname'] ?? '');
      const name = String(c['@name'] ?? '');
      const where = location(String(f['#text'] ?? ''), roots) ?? (c['@file'] ? { file: String(c['@file']), line: Number(c['@line'] ?? 0) } : undefined);
      results.failures.push({
        name: classname && !['test', ''].includes(classname) && !name.includes(classname) ? `${classname} › ${name}` : name,
        message: text.trim().split('\n')[0]?.slice(0, 300) ?? '',
        ...(where ? { location: where } : {}),
      });
    } else if (c['skipped'] !== undefined) results.skipped += 1;
    else results.passed += 1;
  }
  return results;
}

/** Converts `go test -json` events into the same results (the converter go-junit-report would be). */
export function parseGoTestJson(output: string): TestResults | null {
  const results: TestResults = { total: 0, passed: 0, failed: 0, skipped: 0, failures: [] };
  const logs = new Map<string, string[]>();
  let any = false;
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: { Action?: string; Test?: string; Package?: string; Output?: string };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    any = true;
    if (!e.Test) continue;
    const key = `${e.Package ?? ''} ${e.Test}`;
    if (e.Action === 'output' && e.Output) logs.set(key, [...(logs.get(key) ?? []), e.Output]);
    if (e.Action === 'pass') [results.total, results.passed] = [results.total + 1, results.passed + 1];
    if (e.Action === 'skip') [results.total, results.skipped] = [results.total + 1, results.skipped + 1];
    if (e.Action === 'fail') {
      results.total += 1;
      results.failed += 1;
      const text = (logs.get(key) ?? []).join('');
      const where = /^\s*(\S+_test\.go):(\d+): (.*)$/m.exec(text);
      results.failures.push({
        name: e.Test,
        message: (where?.[3] ?? text.trim().split('\n').find((l) => !l.startsWith('=== ') && !l.startsWith('--- ')) ?? '').slice(0, 300),
        ...(where ? { location: { file: where[1] ?? '', line: Number.parseInt(where[2] ?? '0', 10) } } : {}),
      });
    }
  }
  return any ? results : null;
}
