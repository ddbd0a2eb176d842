import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mean, median } from '../src/stats.js';

test('mean of a list', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
});

test('median of an odd-length sorted list', () => {
  assert.equal(median([1, 2, 3]), 2);
});

test('median of an unsorted list', () => {
  assert.equal(median([3, 1, 2]), 2);
});

test('median of an even-length list', () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('median of an empty list throws', () => {
  assert.throws(() => median([]), RangeError);
});
