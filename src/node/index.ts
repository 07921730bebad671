/**
 * The reference node operator (`veritas-node`) and the pieces a watcher reuses: the reorg-safe log follower, the job
 * journal, input fetching, artefact digests and the logger. Published as the package @veritas-protocol/node
 * (scripts/build-node-package.ts), apart from the SDK: it runs models with onnxruntime-node and the snarkjs prover.
 */
export {
  EventFollower,
  errorMessage,
  type FollowedContract,
  type FollowedLog,
  type FollowerOptions,
  type PollResult,
} from "./follower.js";
export { fetchInput, inputDigestOk, MAX_INPUT_BYTES } from "./inputs.js";
export { ModelHost, type HostedModel, type ModelHostOptions } from "./models.js";
export {
  JobJournal,
  TERMINAL_STATES,
  type EntryFields,
  type JobRecord,
  type JobState,
  type JournalEntry,
  type JournalFields,
  type JournalOptions,
} from "./journal.js";
export { jsonLogger, silentLogger, type LogFields, type Logger, type LogLevel } from "./logger.js";
export { nodeFeeOf } from "../jobs.js";
export {
  VeritasNode,
  type JobSummary,
  type NodeConfig,
  type NodeDeps,
  type NodeFaults,
  type NodeJobData,
  type NodeJournal,
  type NodeModeName,
  type ServedModel,
} from "./operator.js";
export {
  Watcher,
  WATCHER_TERMINAL_STATES,
  type WatchedFields,
  type WatchedJob,
  type WatchedState,
  type WatcherConfig,
  type WatcherDeps,
  type WatcherJournal,
} from "./watcher.js";
