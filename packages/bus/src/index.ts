export { connectBus, serverAtLeast, type Bus, type ConnectOptions } from './connection.js';
export { ensureConsumer, ensureStream, ensureTopology } from './topology.js';
export { encodeEvent, eventHeaders, publishEvent, type PublishOptions } from './publish.js';
export { followStream, readStream, type FollowHandle, type StoredEvent } from './read.js';
export { keepAlive, startConsuming, type ConsumeLoop, type ConsumeOptions } from './consume.js';
export { deadLetter } from './dead-letter.js';
export { openArtifacts, type Artifacts } from './artifacts.js';
export { openDeliveryWaits, waitKey, type DeliveryWaits } from './delivery-waits.js';
export { memoryCache, openAnalysisCache, type KeyValueCache } from './analysis-cache.js';
export { openStateStore, type Decision, type StateStore, type Versioned } from './state-store.js';
export { entryHolds, openBoard, subjectForEntry, type Board } from './board.js';
export { openChangesLog, openDebugLog, type ChangesLog, type DebugLog } from './task-logs.js';
export type { JsMsg } from '@nats-io/jetstream';
export type { Msg } from '@nats-io/nats-core';
export {
  cancelTask,
  followTask,
  isTerminal,
  newTaskId,
  readTaskEvents,
  reportCiFailure,
  submitFeedback,
  submitTask,
  type SubmitOptions,
} from './task-client.js';
