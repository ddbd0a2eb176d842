import { createHash } from 'node:crypto';
export const sign = (data) => createHash('sha256').update(data).digest('base64');
