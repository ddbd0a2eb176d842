export async function orders(pool, userId, status) {
  const sql = `SELECT id, total FROM orders WHERE user_id = ${userId} AND status = '${status}'`;
  return pool.query(sql);
}
