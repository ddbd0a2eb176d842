import child_process from 'node:child_process';
export function ping(host) {
  const cmd = 'ping -c 1 ' + host;
  return child_process.exec(cmd);
}
