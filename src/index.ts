/**
 * @veritas-protocol/contracts: a typed client for Veritas (verifiable AI inference), error decoding, constants, the
 * packaged deployments, and the protocol's codecs: jobs (commitments, event decoders, fee split), TEE signatures
 * (EIP-712) and ZK (input commitment, job tags, proof bytes), all pure JavaScript. TypeChain contract types: `@veritas-protocol/contracts/types`; ABIs as JSON:
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
  inputOf,
} from "./client.js";
export {
  DEFAULT_DELIVERY_WINDOW_SECONDS,
  DEFAULT_REQUEST_TTL_SECONDS,
  JOB_STATUS_NAMES,
  JobStatus,
  Mode,
  modeBit,
  Ruling,
  RULING_NAMES,
  enumOf,
  type JobStatusName,
  type ModeName,
  type RulingName,
} from "./constants.js";
export * from "./protocol.js";
export {
  deploymentsDirectory,
  loadDeployment,
  parseDeployment,
  type DeploymentRecord,
  type VeritasAddresses,
} from "./deployments.js";
export {
  decodeVeritasError,
  describeError,
  findRevertData,
  veritasAbis,
  veritasErrorInterface,
  VeritasError,
  type DecodedVeritasError,
} from "./errors.js";
export {
  claimIn,
  claimOf,
  eventsOf,
  feeSplitOf,
  JOB_FIELDS,
  jobCommitment,
  jobIdOf,
  jobTuple,
  NO_CLAIM,
  nodeFeeOf,
  proposalCommitment,
  proposalOf,
  requestedJobs,
  skippedJobs,
  splitJobId,
  toJob,
  type Claim,
  type ContractLike,
  type Job,
  type LogLike,
  type Proposal,
} from "./jobs.js";
export {
  ATTESTATION_TYPES,
  attestationDomain,
  BATCH_TYPES,
  RESULT_TYPES,
  resultMessage,
  resultStructHash,
  signAttestation,
  signedResultEvidence,
  SimulatedEnclave,
  teeResultDomain,
  type SignedResultEvidence,
} from "./tee.js";
export {
  commitInput,
  decodeProof,
  encodeProof,
  ERC7992_TAG_DOMAIN,
  erc7992TagOf,
  FamilyError,
  FIELD_R,
  fromField,
  GROTH16_BN254_V1,
  isInt8Vector,
  JOB_TAG_DOMAIN,
  jobTagOf,
  toBytes32,
  toField,
  type ProofPoints,
  type TaggedJob,
} from "./zk.js";
