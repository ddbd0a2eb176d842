import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
export function avatar(req: Request, res: Response): void {
  createReadStream(path.join('/var/avatars', `${path.basename(String(req.params.user))}.png`)).pipe(res);
}
