const handlers: Record<string, () => number> = { one: () => 1, two: () => 2 };
export function compile(req: { body: { name: string } }): () => number {
  return handlers[req.body.name] ?? (() => 0);
}
