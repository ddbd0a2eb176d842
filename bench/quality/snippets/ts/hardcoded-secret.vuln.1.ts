export const GITHUB_TOKEN = 'ghp_Xk29sLq0ZmPa81NcR5tUvWy3BdEf7GhIjKlM';
