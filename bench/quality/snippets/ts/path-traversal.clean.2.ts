import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
const ROOT = '/srv/uploads';
export function remove(req: Request, res: Response): void {
  const target = path.resolve(ROOT, String(req.body.file));
  if (!target.startsWith(ROOT + path.sep)) { res.sendStatus(400); return; }
  fs.unlinkSync(target);
  res.sendStatus(204);
}
