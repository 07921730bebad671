// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IInferenceEscrow} from "./IInferenceEscrow.sol";
import {ITeeRegistry} from "./ITeeRegistry.sol";
import {ITeeResultVerifier} from "./ITeeResultVerifier.sol";
import {JobId} from "../libraries/JobId.sol";

/// @title IDisputeManager
/// @author Veritas contributors
/// @notice Challenges of optimistic results, their bonds and deadlines, and TEE equivocation reports. A dispute is
/// decided, in this order of preference: by a ZK proof of the true output (anyone, no trusted party), by the appointed
/// arbitrator before the deadline, or, with no ruling by then, as a draw (bond back, requester refunded, no slash).
/// Every parameter is snapshotted into the dispute when it opens: governance changes never alter an open dispute.
interface IDisputeManager {
    /// @notice Governance parameters, bounded in code.
    /// @param bond Challenger bond, payment-token units (at least `minBond`, at most `maxBond`).
    /// @param arbitrationPeriod Seconds the arbitrator has to rule.
    /// @param challengerRewardBps Share of a wrong node's slashed collateral paid to the challenger.
    /// @param arbitrator The appointed arbitrator (zero: disputes without a ZK verifier end by timeout).
    /// @param equivocationSlash Staking-token penalty for a TEE equivocation: from free stake now, the rest as a debt
    /// collected as the node's locked collateral is released.
    struct Params {
        uint96 bond;
        uint40 arbitrationPeriod;
        uint16 challengerRewardBps;
        address arbitrator;
        uint96 equivocationSlash;
    }

    /// @notice A dispute, with the parameters of the moment it opened.
    /// @param challenger Who challenged (zero: no dispute).
    /// @param bond The bond posted.
    /// @param deadline When the arbitrator's time ends.
    /// @param challengerRewardBps Challenger's share of a slash.
    /// @param resolved Whether the dispute has ended.
    /// @param arbitrator The arbitrator appointed when the dispute opened.
    struct Dispute {
        address challenger;
        uint96 bond;
        uint40 deadline;
        uint16 challengerRewardBps;
        bool resolved;
        address arbitrator;
    }

    /// @notice One enclave signature over a result, as evidence of equivocation: either a single-result signature
    /// (`InferenceResult`, `batch` empty) or a batch signature (`InferenceBatch`, what `submitBatch` accepts, a batch
    /// of one included) together with the struct hashes of every result it covers and this result's position.
    /// @param jobId The job the enclave signed for.
    /// @param versionId The model version.
    /// @param inputHash The input digest.
    /// @param outputHash The output hash it signed.
    /// @param signature The enclave's EIP-712 signature (TeeResultVerifier domain, this chain, this escrow).
    /// @param batch For a batch signature, the `InferenceResult` struct hashes of all its results in order
    /// (`ITeeResultVerifier.resultStructHash`); empty for a single-result signature.
    /// @param index This result's position in `batch` (ignored when `batch` is empty).
    struct SignedResult {
        JobId jobId;
        uint64 versionId;
        bytes32 inputHash;
        bytes32 outputHash;
        bytes signature;
        bytes32[] batch;
        uint256 index;
    }

    /// @notice Emitted when a proposal is challenged.
    /// @param jobId The job.
    /// @param challenger The challenger.
    /// @param node The proposing node.
    /// @param bond The bond posted.
    /// @param deadline The arbitrator's deadline.
    /// @param arbitrator The arbitrator for this dispute.
    event Challenged(
        JobId indexed jobId,
        address indexed challenger,
        address indexed node,
        uint256 bond,
        uint40 deadline,
        address arbitrator
    );
    /// @notice Emitted when a dispute ends.
    /// @param jobId The job.
    /// @param ruling How it ended (`IInferenceEscrow.Ruling`).
    /// @param byProof Whether a ZK proof decided it.
    /// @param bondTo Who received the bond (the node when it was right, else the challenger).
    event DisputeResolved(JobId indexed jobId, IInferenceEscrow.Ruling ruling, bool byProof, address bondTo);
    /// @notice Emitted when an enclave key is proven to have signed two outputs for one input of one version.
    /// @param node The key's node.
    /// @param enclaveKey The key (now revoked).
    /// @param versionId The version.
    /// @param inputHash The input.
    /// @param outputHashA One output.
    /// @param outputHashB The other.
    /// @param reporter Who reported it.
    /// @param slashed Staking tokens slashed now (free stake only; the rest is recorded as the node's equivocation debt).
    event EquivocationReported(
        address indexed node,
        address indexed enclaveKey,
        uint64 versionId,
        bytes32 inputHash,
        bytes32 outputHashA,
        bytes32 outputHashB,
        address reporter,
        uint256 slashed
    );
    /// @notice Emitted when governance changes the parameters (later disputes only).
    /// @param params The new parameters.
    event ParamsSet(Params params);

    /// @notice A zero address was given.
    error ZeroAddress();
    /// @notice The job already has a dispute.
    error AlreadyChallenged(JobId jobId);
    /// @notice The job has no open dispute.
    error NoOpenDispute(JobId jobId);
    /// @notice The caller is not this dispute's arbitrator.
    error NotArbitrator(JobId jobId, address caller, address arbitrator);
    /// @notice The arbitration deadline has passed.
    error ArbitrationClosed(JobId jobId, uint40 deadline);
    /// @notice The arbitration deadline has not passed.
    error ArbitrationOpen(JobId jobId, uint40 deadline);
    /// @notice The proof did not verify.
    error InvalidDisputeProof(JobId jobId);
    /// @notice The two signed results are not an equivocation (different version or input, same output, or
    /// different signers).
    error NotEquivocation();
    /// @notice Batch evidence whose `batch[index]` is not the struct hash of the reported result (or `index` is out of
    /// range).
    error InvalidBatchEvidence(uint256 index);
    /// @notice The signature does not recover to a registered enclave key.
    error UnknownSigner(address signer);
    /// @notice This key's equivocation was already reported.
    error AlreadyReported(address enclaveKey);
    /// @notice A parameter is outside its hard bounds.
    error ParamOutOfBounds(string name, uint256 value);
    /// @notice The token moved a different amount than asked.
    error TransferAmountMismatch(uint256 expected, uint256 received);

    /// @notice The escrow.
    /// @return The escrow whose optimistic jobs this contract disputes, set at deployment.
    function escrow() external view returns (IInferenceEscrow);
    /// @notice The payment token (bonds).
    /// @return The escrow's payment token.
    function paymentToken() external view returns (IERC20);
    /// @notice The TEE registry (revocations).
    /// @return The registry equivocating keys are looked up and revoked in.
    function teeRegistry() external view returns (ITeeRegistry);
    /// @notice The TEE result verifier (equivocation digests).
    /// @return The verifier whose EIP-712 domain the signed results are checked under.
    function teeVerifier() external view returns (ITeeResultVerifier);
    /// @notice The current parameters.
    /// @return The parameters later disputes and equivocation reports use.
    function params() external view returns (Params memory);
    /// @notice A job's dispute.
    /// @param jobId The job.
    /// @return Its dispute (all zero if it was never challenged).
    function disputeOf(JobId jobId) external view returns (Dispute memory);
    /// @notice Whether a key's equivocation was reported.
    /// @param enclaveKey The enclave key.
    /// @return True once an equivocation of the key was reported (each key is slashed once).
    function isEquivocated(address enclaveKey) external view returns (bool);

    /// @notice Challenges a proposal inside its window, posting `params().bond` (pulled from the caller).
    /// @dev The bond is the larger of `params().bond` and `job.payment`; the arbitrator, arbitration deadline and
    /// reward share are snapshotted. Reverts with `AlreadyChallenged` (one dispute per job), the errors of the
    /// escrow's `markDisputed` (`InvalidJobStatus`, `JobMismatch`, `ChallengeWindowClosed`, ...) or
    /// `TransferAmountMismatch`.
    /// @param job The job exactly as emitted in `JobRequested`.
    /// @param claim The claim as emitted in `JobClaimed`.
    /// @param proposal The proposal as emitted in `ResultProposed`.
    function challenge(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal
    ) external;
    /// @notice Decides a dispute with a ZK proof of the true output for the job (anyone can call). The node was right
    /// iff the proven output hashes to the proposal's output hash.
    /// @dev Works before or after the arbitration deadline, as long as the dispute is open. Reverts with
    /// `NoOpenDispute`, `InvalidDisputeProof` or the escrow's and ZK verifier's errors (e.g. `NoZkVerifier` for a
    /// version without a verifier, `InvalidProof`).
    /// @param job The disputed job.
    /// @param claim Its claim (the proof must be bound to `claim.node`).
    /// @param proposal Its proposal.
    /// @param output The job's true output, `abi.encode(int256[])`.
    /// @param proof `abi.encode(a, b, c)` of a Groth16 proof of `output` under the escrow's job tag.
    function resolveByProof(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal,
        bytes calldata output,
        bytes calldata proof
    ) external;
    /// @notice The dispute's arbitrator rules before the deadline. `output` (the proposed output) is needed when the node
    /// was right, to settle and deliver it.
    /// @dev Reverts with `NoOpenDispute`, `NotArbitrator` (the arbitrator snapshotted at challenge),
    /// `ArbitrationClosed` or the escrow's `resolveDispute` errors.
    /// @param job The disputed job.
    /// @param claim Its claim.
    /// @param proposal Its proposal.
    /// @param nodeRight True if the proposal was right (it settles, the bond goes to the node); false to slash.
    /// @param output The proposed output when `nodeRight` (ignored otherwise).
    function arbitrate(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal,
        bool nodeRight,
        bytes calldata output
    ) external;
    /// @notice Ends a dispute nobody ruled on by its deadline as a draw (anyone can call).
    /// @dev The requester is refunded, the bond returned to the challenger, nobody slashed, even if the node was right.
    /// Reverts with `NoOpenDispute` or `ArbitrationOpen`.
    /// @param job The disputed job.
    /// @param claim Its claim.
    /// @param proposal Its proposal.
    function resolveTimeout(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal
    ) external;
    /// @notice Reports two signatures of one enclave key over different outputs for the same version and input: the
    /// key is revoked and its node slashed (anyone can call; the reporter earns `challengerRewardBps` of the slash).
    /// @dev The job ids may differ, and each signature may be a single-result or a batch signature (see
    /// `SignedResult`): every signature form the escrow pays for is evidence. Slashes at most `params().equivocationSlash` of the node's free stake (see
    /// `IInferenceEscrow.slashForEquivocation`). Reverts with `NotEquivocation`, `InvalidBatchEvidence`, `UnknownSigner`
    /// (a key never registered) or `AlreadyReported`.
    /// @param a One signed result.
    /// @param b Another signed result of the same key, version and input, with another output hash.
    function reportEquivocation(SignedResult calldata a, SignedResult calldata b) external;
    /// @notice Sets the parameters of later disputes (governance), within hard bounds.
    /// @dev Owner only. Reverts with `ParamOutOfBounds` for a zero bond, an arbitration period outside [1 hour, 7 days]
    /// or a challenger reward above `MAX_CHALLENGER_REWARD_BPS` (50 %). A zero arbitrator is allowed.
    /// @param params The new parameters.
    function setParams(Params calldata params) external;
}
