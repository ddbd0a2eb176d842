import { spawnSync } from 'node:child_process';
export function archive(req) {
  const name = req.params.name.replace(/[^a-z0-9_-]/gi, '');
  return spawnSync('tar', ['czf', `/backups/${name}.tgz`, `/data/${name}`]).status;
}
