export function remove(db, req) {
  return db.run('DELETE FROM sessions WHERE token = "' + req.body.token + '"');
}
