import https from 'node:https';
export function get(url: string): void {
  https.get(url, { rejectUnauthorized: true });
}
