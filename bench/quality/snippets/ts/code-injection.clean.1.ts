import type { Request, Response } from 'express';
export function calc(req: Request, res: Response): void {
  const value: unknown = JSON.parse(String(req.query.json));
  res.json({ value });
}
