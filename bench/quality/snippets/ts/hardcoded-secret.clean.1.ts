export const GITHUB_TOKEN = process.env['GITHUB_TOKEN'] ?? '';
