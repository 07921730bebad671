// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IInferenceEscrow} from "./IInferenceEscrow.sol";
import {ITeeRegistry} from "./ITeeRegistry.sol";
import {ITeeResultVerifier} from "./ITeeResultVerifier.sol";
import {JobId} from "../libraries/JobId.sol";

/// @title IDisputeManager
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

    /// @notice One enclave signature over a result, as evidence of equivocation.
    /// @param jobId The job the enclave signed for.
    /// @param versionId The model version.
    /// @param inputHash The input digest.
    /// @param outputHash The output hash it signed.
    /// @param signature The enclave's EIP-712 signature (TeeResultVerifier domain, this chain, this escrow).
    struct SignedResult {
        JobId jobId;
        uint64 versionId;
        bytes32 inputHash;
        bytes32 outputHash;
        bytes signature;
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
    /// @notice The signature does not recover to a registered enclave key.
    error UnknownSigner(address signer);
    /// @notice This key's equivocation was already reported.
    error AlreadyReported(address enclaveKey);
    /// @notice A parameter is outside its hard bounds.
    error ParamOutOfBounds(string name, uint256 value);
    /// @notice The token moved a different amount than asked.
    error TransferAmountMismatch(uint256 expected, uint256 received);

    /// @notice The escrow.
    function escrow() external view returns (IInferenceEscrow);
    /// @notice The payment token (bonds).
    function paymentToken() external view returns (IERC20);
    /// @notice The TEE registry (revocations).
    function teeRegistry() external view returns (ITeeRegistry);
    /// @notice The TEE result verifier (equivocation digests).
    function teeVerifier() external view returns (ITeeResultVerifier);
    /// @notice The current parameters.
    function params() external view returns (Params memory);
    /// @notice A job's dispute.
    function disputeOf(JobId jobId) external view returns (Dispute memory);
    /// @notice Whether a key's equivocation was reported.
    function isEquivocated(address enclaveKey) external view returns (bool);

    /// @notice Challenges a proposal inside its window, posting `params().bond` (pulled from the caller).
    function challenge(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal
    ) external;
    /// @notice Decides a dispute with a ZK proof of the true output for the job (anyone can call). The node was right
    /// iff the proven output hashes to the proposal's output hash.
    function resolveByProof(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal,
        bytes calldata output,
        bytes calldata proof
    ) external;
    /// @notice The dispute's arbitrator rules before the deadline. `output` (the proposed output) is needed when the node
    /// was right, to settle and deliver it.
    function arbitrate(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal,
        bool nodeRight,
        bytes calldata output
    ) external;
    /// @notice Ends a dispute nobody ruled on by its deadline as a draw (anyone can call).
    function resolveTimeout(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal
    ) external;
    /// @notice Reports two signatures of one enclave key over different outputs for the same version and input: the
    /// key is revoked and its node slashed (anyone can call; the reporter earns `challengerRewardBps` of the slash).
    function reportEquivocation(SignedResult calldata a, SignedResult calldata b) external;
    /// @notice Sets the parameters of later disputes (governance), within hard bounds.
    function setParams(Params calldata params) external;
}
