import crypto from 'node:crypto';
export function fingerprint(password: string, salt: Buffer): string {
  return crypto.pbkdf2Sync(password, salt, 310000, 32, 'sha256').toString('hex');
}
