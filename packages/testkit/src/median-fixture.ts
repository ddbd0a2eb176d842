/**
 * The example project the demo and several services' tests share: a node:test file for
 * median() (odd and even lengths) and a median() that sorts but takes one middle value for
 * even lengths, so the even-length test fails.
 */
export const MEDIAN_TEST = [
  "import { test } from 'node:test';",
  "import assert from 'node:assert/strict';",
  "import { median } from '../src/stats.js';",
  '',
  "test('median of odd length', () => {",
  '  assert.equal(median([3, 1, 2]), 2);',
  '});',
  '',
  "test('median of even length', () => {",
  '  assert.equal(median([4, 1, 3, 2]), 2.5);',
  '});',
  '',
].join('\n');

export const ONE_MIDDLE_MEDIAN = 'export function median(xs) {\n  const s = [...xs].sort((a, b) => a - b);\n  return s[Math.floor(s.length / 2)];\n}\n';
