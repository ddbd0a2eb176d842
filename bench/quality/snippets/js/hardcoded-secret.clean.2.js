export const config = {
  host: 'db.internal',
  user: 'app',
  password: process.env.DB_PASSWORD,
  passwordField: 'password',
};
