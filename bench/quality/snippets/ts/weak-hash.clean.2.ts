import { createHash } from 'node:crypto';
export const tokenHash = (t: string): string => createHash('sha512').update(t).digest('hex');
