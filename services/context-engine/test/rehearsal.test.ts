import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse } from '../src/engine/rehearsal.js';
import { loadSymbolParser } from '../src/parsing/tree-sitter.js';

describe("the context engine's warm-up", () => {
  it("serves a made-up repository's context, parsing it with the engine's parser, and leaves nothing behind", async () => {
    const workdir = await mkdtemp(join(tmpdir(), 'patchbay-rehearsal-'));
    try {
      const grammars: string[] = [];
      let parsed = 0;
      const parser = async () => {
        const real = await loadSymbolParser();
        return {
          load: (g: Parameters<typeof real.load>[0]) => {
            grammars.push(...g);
            return real.load(g);
          },
          parse: (g: Parameters<typeof real.parse>[0], text: string) => {
            parsed += 1;
            return real.parse(g, text);
          },
        };
      };
      await rehearse({ workdir, parser, maxFileBytes: 1_000_000 });
      expect(grammars).toContain('typescript');
      // Some files parse on this thread; the rest on a parsing thread (a real repository's size).
      expect(parsed).toBeGreaterThan(0);
      // Its checkout and the state kept of it are gone.
      expect(await readdir(workdir)).toEqual([]);
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  });
});
