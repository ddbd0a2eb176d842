export const config = {
  host: 'db.internal',
  user: 'app',
  password: 'S3cr3t-Passw0rd!',
};
