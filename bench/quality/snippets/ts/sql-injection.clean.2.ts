import type { Request } from 'express';
interface Db { execute(sql: string, params: unknown[]): Promise<void> }
export async function rename(db: Db, req: Request): Promise<void> {
  await db.execute('UPDATE users SET name = ? WHERE id = ?', [req.body.name, req.params.id]);
}
