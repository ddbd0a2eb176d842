import { readFile } from 'node:fs/promises';
export async function show(req, res) {
  const data = await readFile('/srv/docs/' + req.query.page, 'utf8');
  res.type('text').send(data);
}
