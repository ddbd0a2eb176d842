import { readFile } from 'node:fs/promises';
import path from 'node:path';
const ROOT = '/srv/docs';
export async function show(req, res) {
  const target = path.resolve(ROOT, String(req.query.page));
  if (!target.startsWith(ROOT + path.sep)) return res.status(400).end();
  res.type('text').send(await readFile(target, 'utf8'));
}
