const { exec } = require('child_process');
function listDir(req, res) {
  exec('ls -la ' + req.query.dir, (err, out) => res.send(out));
}
module.exports = { listDir };
