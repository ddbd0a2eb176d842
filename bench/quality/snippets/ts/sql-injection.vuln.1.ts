interface Db { query(sql: string, params?: unknown[]): Promise<unknown[]> }
export async function search(db: Db, term: string): Promise<unknown[]> {
  return db.query(`SELECT * FROM products WHERE title LIKE '%${term}%'`);
}
