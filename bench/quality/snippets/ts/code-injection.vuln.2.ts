export function compile(req: { body: { code: string } }): () => unknown {
  return new Function(req.body.code) as () => unknown;
}
