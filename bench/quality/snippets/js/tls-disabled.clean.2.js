export async function fetchStatus(url) {
  return (await fetch(url)).status;
}
