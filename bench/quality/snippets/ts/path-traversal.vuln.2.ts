import fs from 'node:fs';
import type { Request, Response } from 'express';
export function remove(req: Request, res: Response): void {
  fs.unlinkSync('/srv/uploads/' + req.body.file);
  res.sendStatus(204);
}
