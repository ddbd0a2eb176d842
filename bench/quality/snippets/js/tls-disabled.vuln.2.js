process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
export async function fetchStatus(url) {
  return (await fetch(url)).status;
}
