/**
 * Vitest global setup: decides once per run whether a Docker engine answers, so each
 * test file's startNats() need not ask again.
 */
export default async function setup(): Promise<void> {
  if (process.env['NATS_URL'] || process.env['PATCHBAY_TEST_CONTAINER_RUNTIME']) return;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    process.env['PATCHBAY_TEST_CONTAINER_RUNTIME'] = 'docker';
  } catch {
    process.env['PATCHBAY_TEST_CONTAINER_RUNTIME'] = 'none';
  }
}
