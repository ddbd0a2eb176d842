/** Arithmetic mean of a non-empty list of numbers. */
export function mean(values) {
  if (values.length === 0) throw new RangeError('mean of an empty list');
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Middle value of a non-empty list of numbers. */
export function median(values) {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const middle = Math.floor(values.length / 2);
  return values[middle];
}
