import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutWatch, checkoutWatches, memoryContextCache, workingTreeSource } from '@patchbay/context-engine';
import { type GitFixture, createGitFixture } from '@patchbay/testkit';
import { TS_LAYERED } from './fixtures/repos.js';
import { MAX_FILE_BYTES } from './local-source.js';

let repo: GitFixture;
let watch: CheckoutWatch;

/** settled() once the watch is up (it starts on the first call and says nothing until then). */
async function settledWhenUp(root: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const changes = await watch.settled(root);
    if (changes !== undefined) return changes;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the watch never came up');
}

beforeAll(async () => {
  repo = await createGitFixture(TS_LAYERED);
  watch = checkoutWatches({ max: 2 });
});
afterAll(async () => {
  await watch?.close();
  await repo?.remove();
});

describe('checkout watches', () => {
  it('count every change under the checkout, .git included, but not their own cookies, which they remove', async () => {
    const before = await settledWhenUp(repo.dir);
    expect(await watch.settled(repo.dir)).toBe(before);
    // Written just before asking: the cookie written after it is seen after it, so the change is counted.
    await writeFile(join(repo.dir, 'src/app.ts'), `${TS_LAYERED['src/app.ts']}\nexport const edited = 1;\n`);
    const afterEdit = await watch.settled(repo.dir);
    expect(afterEdit).toBeGreaterThan(before);
    await repo.git('commit', '-qam', 'edit');
    expect(await watch.settled(repo.dir)).toBeGreaterThan(afterEdit as number);
    const quiet = await watch.settled(repo.dir);
    expect(await watch.settled(repo.dir)).toBe(quiet);
    expect((await readdir(join(repo.dir, '.git'))).filter((f) => f.includes('cookie'))).toEqual([]);
  });

  it('let a working tree skip git while nothing changed, and never hide a change made just before a look', async () => {
    const cache = memoryContextCache();
    const options = { maxFileBytes: MAX_FILE_BYTES, ttlMs: 60_000, loadIndex: () => cache.getPointer<never>('dirty'), saveIndex: (i: unknown) => cache.putPointer('dirty', i) };
    const watched = () => workingTreeSource(repo.dir, { ...options, watch }).identify();
    const plain = () => workingTreeSource(repo.dir, options).identify();
    await settledWhenUp(repo.dir);
    expect(await watched()).toEqual(await plain());
    for (let i = 0; i < 5; i++) {
      await writeFile(join(repo.dir, `src/quick${i}.ts`), `export const quick${i} = ${i};\n`);
      const seen = await watched();
      expect(seen.dirty).toBe(i + 1);
      expect(seen).toEqual(await plain());
      // Unchanged since: the same identity, told by the watch, without git (which cannot be found now).
      const path = process.env['PATH'];
      process.env['PATH'] = '/nonexistent';
      try {
        expect(await watched()).toEqual(seen);
        await expect(plain()).rejects.toThrow();
      } finally {
        process.env['PATH'] = path;
      }
    }
  });
});
