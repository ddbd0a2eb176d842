const { execFile } = require('child_process');
function listDir(req, res) {
  execFile('ls', ['-la', '--', String(req.query.dir)], (err, out) => res.send(out));
}
module.exports = { listDir };
