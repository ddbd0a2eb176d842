import { rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AsyncSubscription } from '@parcel/watcher';
import type { Logger } from '@patchbay/telemetry';

/**
 * Whether anything under a checkout changed, without asking git: a running engine watches
 * the checkouts it serves (inotify, through @parcel/watcher) and counts changes. `git status`
 * over 19,000 files takes 30–100 ms; a watched checkout that did not change costs a few.
 */
export interface CheckoutWatch {
  /**
   * How many changes were seen under the checkout since it has been watched, once every
   * change made before this call has been seen; undefined when that cannot be told (not
   * watched yet: watching starts now; or the watch failed).
   */
  settled(root: string): Promise<number | undefined>;
  close(): Promise<void>;
}

interface Watched {
  subscription?: AsyncSubscription;
  ready: boolean;
  broken: boolean;
  changes: number;
  /** Cookie files written to find out when the events before them have arrived. */
  waiting: Map<string, () => void>;
}

const COOKIE = 'patchbay-watch-cookie-';
/** An event queue slower than this means something is wrong: git is asked instead. */
const COOKIE_TIMEOUT_MS = 1_000;

/**
 * Watches at most `max` checkouts (the least recently asked about is dropped). A change is
 * any event under the checkout, `.git` included (a commit, a checkout, a staged file); the
 * only events not counted are the cookies this process writes into `.git` to learn that the
 * events before them arrived (as watchman does), so an edit made just before a request is
 * never missed however the watcher batches its events.
 */
export function checkoutWatches(options: { max: number; log?: Logger | undefined }): CheckoutWatch {
  const watched = new Map<string, Watched>();
  let cookies = 0;

  const drop = (root: string) => {
    const w = watched.get(root);
    watched.delete(root);
    void w?.subscription?.unsubscribe().catch(() => {});
  };

  const start = (root: string) => {
    const w: Watched = { ready: false, broken: false, changes: 0, waiting: new Map() };
    watched.set(root, w);
    while (watched.size > options.max) drop(watched.keys().next().value as string);
    const gitDir = join(root, '.git');
    // The native watcher loads with the first watch: whoever only imports this package (`patchbay context`) does not pay for it.
    import('@parcel/watcher').then(({ subscribe }) => subscribe(root, (err, events) => {
      if (err) {
        // Lost events (a full inotify queue, a removed directory): nothing can be told from here on.
        w.broken = true;
        options.log?.warn({ err, root }, 'checkout watch failed; asking git instead');
        return;
      }
      for (const event of events) {
        const name = basename(event.path);
        if (dirname(event.path) === gitDir && name.startsWith(COOKIE)) w.waiting.get(name)?.();
        else w.changes += 1;
      }
    })).then(
      (subscription) => {
        w.subscription = subscription;
        if (watched.get(root) === w) w.ready = true;
        else void subscription.unsubscribe().catch(() => {});
      },
      (err: unknown) => {
        w.broken = true;
        options.log?.warn({ err, root }, 'cannot watch the checkout; asking git instead');
      },
    );
  };

  return {
    async settled(root) {
      const w = watched.get(root);
      if (w === undefined) {
        // Only a plain checkout, whose .git directory is under the watched tree, can take cookies.
        if ((await stat(join(root, '.git')).catch(() => undefined))?.isDirectory()) start(root);
        return undefined;
      }
      watched.delete(root);
      watched.set(root, w);
      if (!w.ready || w.broken) return undefined;
      cookies += 1;
      const name = `${COOKIE}${process.pid}-${cookies}`;
      const path = join(root, '.git', name);
      let timer: NodeJS.Timeout | undefined;
      const arrived = new Promise<boolean>((resolve) => {
        w.waiting.set(name, () => resolve(true));
        timer = setTimeout(() => resolve(false), COOKIE_TIMEOUT_MS);
      });
      try {
        await writeFile(path, '');
        const seen = await arrived;
        return seen && !w.broken ? w.changes : undefined;
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
        w.waiting.delete(name);
        await rm(path, { force: true }).catch(() => {});
      }
    },
    async close() {
      for (const root of [...watched.keys()]) drop(root);
    },
  };
}
