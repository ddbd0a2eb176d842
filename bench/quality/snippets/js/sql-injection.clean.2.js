export async function orders(pool, userId, status) {
  const sql = 'SELECT id, total FROM orders WHERE user_id = ? AND status = ?';
  return pool.query(sql, [userId, status]);
}
