import { execSync } from 'node:child_process';
export function archive(req) {
  const name = req.params.name;
  return execSync(`tar czf /backups/${name}.tgz /data/${name}`).toString();
}
