import { type Bus, type StateStore, openStateStore } from '@patchbay/bus';
import { type RepoLessons as RepoLessonsType, RepoLessons, buckets, repoKey } from '@patchbay/contracts';
import { emptyLessons } from './lessons.js';

/** Lessons per repository in the lessons bucket, changed by compare-and-set. */
export interface LessonStore {
  get(repoUrl: string): Promise<RepoLessonsType | null>;
  /** Applies a change; `change` returns null to leave the record as it is. */
  update(repoUrl: string, change: (current: RepoLessonsType) => RepoLessonsType | null, now?: Date): Promise<RepoLessonsType | null>;
}

export async function openLessonStore(bus: Bus): Promise<LessonStore> {
  const store: StateStore<RepoLessonsType> = await openStateStore(bus, buckets.lessons, RepoLessons);
  return {
    async get(repoUrl) {
      return (await store.get(repoKey(repoUrl)))?.value ?? null;
    },
    async update(repoUrl, change, now = new Date()) {
      const key = repoKey(repoUrl);
      await store.create(key, emptyLessons(repoUrl, now));
      const { result } = await store.update(key, (current) => {
        const next = change(current);
        return { next, result: next };
      });
      return result;
    },
  };
}
