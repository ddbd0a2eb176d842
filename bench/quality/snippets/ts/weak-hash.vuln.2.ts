import { createHash } from 'node:crypto';
export const tokenHash = (t: string): string => createHash('sha1').update(t).digest('hex');
