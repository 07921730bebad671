/**
 * @veritas-protocol/contracts: a typed client for Veritas (verifiable AI inference), error decoding, constants and
 * the packaged deployments. TypeChain contract types: `@veritas-protocol/contracts/types`; ABIs as JSON:
 * `@veritas-protocol/contracts/abi/<Contract>.json`; Solidity: `@veritas-protocol/contracts/contracts/…`.
 */
export {
  ERC20_ABI,
  toVeritasError,
  VeritasClient,
  VeritasJobError,
  type ConnectOptions,
  type InferenceResult,
  type JobErrorCode,
  type JobInfo,
  type OptimisticProposal,
  type RequestedJob,
  type RequestInferenceParams,
  type RequestOptions,
  type Verification,
  type VerifiedResult,
  type WaitOptions,
} from "./client.js";
export {
  DEFAULT_DELIVERY_WINDOW_SECONDS,
  DEFAULT_REQUEST_TTL_SECONDS,
  JOB_STATUS_NAMES,
  JobStatus,
  Mode,
  modeBit,
  RULING_NAMES,
  type JobStatusName,
  type ModeName,
  type RulingName,
} from "./constants.js";
export { loadDeployment, parseDeployment, type DeploymentRecord, type VeritasAddresses } from "./deployments.js";
export {
  decodeVeritasError,
  describeError,
  findRevertData,
  veritasAbis,
  veritasErrorInterface,
  VeritasError,
  type DecodedVeritasError,
} from "./errors.js";
export { jobIdOf, NO_CLAIM, splitJobId, toJob, type Claim, type Job, type Proposal } from "./jobs.js";
