const fs = require('fs');
exports.save = (req, res) => {
  fs.writeFileSync(`./data/${req.body.name}`, req.body.content);
  res.end();
};
