async function findUser(db, req) {
  const rows = await db.query('SELECT * FROM users WHERE name = $1', [req.query.name]);
  return rows[0];
}
module.exports = { findUser };
