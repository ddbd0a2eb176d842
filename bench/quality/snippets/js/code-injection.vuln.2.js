export function handler(event) {
  const body = JSON.parse(event.body);
  const fn = new Function('x', body.formula);
  return fn(2);
}
