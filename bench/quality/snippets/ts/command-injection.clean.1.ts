import { execFile } from 'node:child_process';
import type { Request } from 'express';
export function convert(req: Request): void {
  execFile('convert', [String(req.query.input), '/tmp/out.png']);
}
