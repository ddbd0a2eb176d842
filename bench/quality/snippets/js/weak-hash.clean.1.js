const crypto = require('crypto');
function hashPassword(pw, salt) {
  return crypto.scryptSync(pw, salt, 64).toString('hex');
}
module.exports = { hashPassword };
