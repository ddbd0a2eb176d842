import type { Request, Response } from 'express';
export function calc(req: Request, res: Response): void {
  const value: unknown = eval(String(req.query.expr));
  res.json({ value });
}
