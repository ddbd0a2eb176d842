import { JetStreamApiError } from '@nats-io/jetstream';
import {
  type BoardEntry,
  type BoardType,
  BoardEntry as BoardEntrySchema,
  boardDedupKey,
  boardKeyToken,
  createEvent,
  eventTypes,
  repoKey,
  streams,
  subjects,
} from '@patchbay/contracts';
import { InputError } from '@patchbay/errors';
import type { Bus } from './connection.js';
import { publishEvent } from './publish.js';
import { readStream } from './read.js';

/**
 * The shared discovery board. Each (repo, type, dedup key) has its own subject on a stream
 * that keeps one message per subject and refuses later ones, so the server decides the
 * first writer, however many race.
 */
export interface Board {
  /** True when this entry was stored; false when an entry with its key was already there. */
  write(entry: BoardEntry): Promise<boolean>;
  /** Every entry about a repository, oldest first. */
  read(repo: string): Promise<BoardEntry[]>;
  /** Every entry on the board. */
  readAll(): Promise<BoardEntry[]>;
  /** One entry by type and dedup key (null key for singleton types), and sources for a versioned entry. */
  get(repo: string, type: BoardType, key: string | null, sources?: BoardEntry['sources']): Promise<BoardEntry | null>;
  /**
   * The findings that still hold: for each (type, dedup key), the newest entry whose sources
   * all still have the blob `blobOf` gives for their path. Entries without sources always hold.
   */
  current(repo: string, blobOf: (path: string) => string | undefined): Promise<BoardEntry[]>;
}

/** Error code the server uses when discard-new-per-subject refuses a message. */
const PER_SUBJECT_LIMIT = 10077;

function isRefusedAsDuplicate(err: unknown): boolean {
  return (
    (err instanceof JetStreamApiError && err.code === PER_SUBJECT_LIMIT) ||
    /maximum messages per subject exceeded/i.test((err as Error).message)
  );
}

/**
 * The subject of an entry: one per (repository, type, dedup key) and, for an entry with
 * sources, per version of them, so a finding from changed files is a new entry while the
 * first writer of each version still wins.
 */
export function subjectForEntry(entry: Pick<BoardEntry, 'repo' | 'type' | 'data' | 'sources'>): string {
  return subjects.boardEntry(repoKey(entry.repo), entry.type, boardKeyToken(boardDedupKey(entry.type, entry.data), entry.sources));
}

/** Whether every source of an entry still has the blob it was seen with. */
export function entryHolds(entry: Pick<BoardEntry, 'sources'>, blobOf: (path: string) => string | undefined): boolean {
  return (entry.sources ?? []).every((s) => blobOf(s.path) === s.blob);
}

export function openBoard(bus: Bus): Board {
  const entriesOf = (stored: Awaited<ReturnType<typeof readStream>>) =>
    stored.flatMap((s) => (s.event.type === eventTypes.boardEntry ? [s.event.data] : []));
  return {
    async write(entry) {
      const checked = BoardEntrySchema.safeParse(entry);
      if (!checked.success) throw new InputError(`invalid board entry: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const event = createEvent(eventTypes.boardEntry, checked.data, { source: `patchbay/${entry.agent}`, subject: entry.repo });
      try {
        await publishEvent(bus, subjectForEntry(checked.data), event);
        return true;
      } catch (err) {
        if (isRefusedAsDuplicate(err)) return false;
        throw err;
      }
    },
    read: async (repo) => entriesOf(await readStream(bus, streams.board.name, subjects.boardRepo(repoKey(repo)))),
    async current(repo, blobOf) {
      const newest = new Map<string, BoardEntry>();
      for (const entry of entriesOf(await readStream(bus, streams.board.name, subjects.boardRepo(repoKey(repo))))) {
        if (entryHolds(entry, blobOf)) newest.set(`${entry.type}\0${boardDedupKey(entry.type, entry.data) ?? ''}`, entry);
      }
      return [...newest.values()];
    },
    readAll: async () => entriesOf(await readStream(bus, streams.board.name, streams.board.subjects[0])),
    async get(repo, type, key, sources) {
      const subject = subjects.boardEntry(repoKey(repo), type, boardKeyToken(key, sources));
      const stored = await bus.jsm.streams.getMessage(streams.board.name, { last_by_subj: subject }).catch((err: unknown) => {
        if (err instanceof JetStreamApiError && err.code === 10037) return null;
        throw err;
      });
      if (stored === null) return null;
      const event = stored.json<{ data: unknown }>();
      return BoardEntrySchema.parse(event.data);
    },
  };
}
