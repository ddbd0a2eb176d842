import { exec } from 'node:child_process';
import type { Request } from 'express';
export function convert(req: Request): void {
  exec(`convert ${req.query.input} /tmp/out.png`);
}
