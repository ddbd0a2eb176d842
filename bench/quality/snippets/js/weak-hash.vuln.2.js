import { createHash } from 'node:crypto';
export const sign = (data) => createHash('sha1').update(data).digest('base64');
