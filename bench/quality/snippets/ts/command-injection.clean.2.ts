import { execFileSync } from 'node:child_process';
export function gitLog(branch: string): string {
  return execFileSync('git', ['log', '--oneline', '--', branch]).toString();
}
