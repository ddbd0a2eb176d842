import type { Request } from 'express';
interface Db { execute(sql: string): Promise<void> }
export async function rename(db: Db, req: Request): Promise<void> {
  const query = 'UPDATE users SET name = \'' + req.body.name + '\' WHERE id = ' + req.params.id;
  await db.execute(query);
}
