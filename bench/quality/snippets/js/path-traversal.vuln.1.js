const fs = require('fs');
const path = require('path');
function download(req, res) {
  const file = path.join(__dirname, 'uploads', req.params.file);
  res.send(fs.readFileSync(file));
}
module.exports = { download };
