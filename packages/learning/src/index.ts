export {
  DEFAULT_LEARNING,
  currentWeight,
  emptyLessons,
  observeFailure,
  observeOutcome,
  renderLessons,
  reviewKey,
  type LearningSettings,
  type Observation,
  type Outcome,
} from './lessons.js';
export { openLessonStore, type LessonStore } from './store.js';
