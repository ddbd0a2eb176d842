import { createReadStream } from 'node:fs';
import type { Request, Response } from 'express';
export function avatar(req: Request, res: Response): void {
  createReadStream(`/var/avatars/${req.params.user}.png`).pipe(res);
}
