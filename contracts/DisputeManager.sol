// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IDisputeManager} from "./interfaces/IDisputeManager.sol";
import {IInferenceEscrow} from "./interfaces/IInferenceEscrow.sol";
import {ITeeRegistry} from "./interfaces/ITeeRegistry.sol";
import {ITeeResultVerifier} from "./interfaces/ITeeResultVerifier.sol";
import {JobId, JobIdLib} from "./libraries/JobId.sol";
import {ReentrancyGuard} from "./libraries/ReentrancyGuard.sol";
import {
    MAX_ARBITRATION_PERIOD_SECONDS,
    MAX_CHALLENGER_REWARD_BPS,
    MIN_ARBITRATION_PERIOD_SECONDS
} from "./libraries/ConstantsLib.sol";

/// @title DisputeManager
/// @author Veritas contributors
/// @notice Challenges of optimistic results and TEE equivocation. Holds challengers' bonds while their disputes are
/// open; when a dispute ends, the bond is deposited into the escrow balance of whoever it belongs to (pull payment).
/// Nothing here can be paused: disputes always resolve.
contract DisputeManager is IDisputeManager, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @inheritdoc IDisputeManager
    IInferenceEscrow public immutable escrow;
    /// @inheritdoc IDisputeManager
    IERC20 public immutable paymentToken;
    /// @inheritdoc IDisputeManager
    ITeeRegistry public immutable teeRegistry;
    /// @inheritdoc IDisputeManager
    ITeeResultVerifier public immutable teeVerifier;

    Params private _params;
    mapping(JobId jobId => Dispute) private _disputes;
    mapping(address enclaveKey => bool) private _equivocated;

    constructor(
        IInferenceEscrow escrow_,
        ITeeRegistry teeRegistry_,
        ITeeResultVerifier teeVerifier_,
        Params memory params_,
        address owner_
    ) Ownable(owner_) {
        require(
            address(escrow_) != address(0) &&
                address(teeRegistry_) != address(0) &&
                address(teeVerifier_) != address(0),
            ZeroAddress()
        );
        escrow = escrow_;
        paymentToken = escrow_.paymentToken();
        teeRegistry = teeRegistry_;
        teeVerifier = teeVerifier_;
        _setParams(params_);
    }

    /// @inheritdoc IDisputeManager
    function challenge(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal
    ) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        Dispute storage d = _disputes[id];
        require(d.challenger == address(0), AlreadyChallenged(id));
        Params memory p = _params;
        // The bond is at least the job's payment: a griefer risks at least what the node stands to lose.
        uint256 bond = p.bond > job.payment ? p.bond : job.payment;
        uint40 deadline = uint40(block.timestamp) + p.arbitrationPeriod;
        d.challenger = msg.sender;
        d.bond = uint96(bond);
        d.deadline = deadline;
        d.challengerRewardBps = p.challengerRewardBps;
        d.arbitrator = p.arbitrator;
        emit Challenged(id, msg.sender, claim.node, bond, deadline, p.arbitrator);
        // Reverts unless the proposal is live and inside its window.
        escrow.markDisputed(job, claim, proposal, msg.sender);
        uint256 before = paymentToken.balanceOf(address(this));
        paymentToken.safeTransferFrom(msg.sender, address(this), bond);
        uint256 received = paymentToken.balanceOf(address(this)) - before;
        require(received == bond, TransferAmountMismatch(bond, received));
    }

    /// @inheritdoc IDisputeManager
    function resolveByProof(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal,
        bytes calldata output,
        bytes calldata proof
    ) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        _openDispute(id);
        require(escrow.verifyDisputeProof(job, claim, proposal, output, proof), InvalidDisputeProof(id));
        bool nodeRight = keccak256(output) == proposal.outputHash;
        _resolve(
            id,
            job,
            claim,
            proposal,
            nodeRight ? IInferenceEscrow.Ruling.NodeRight : IInferenceEscrow.Ruling.NodeWrong,
            true,
            output
        );
    }

    /// @inheritdoc IDisputeManager
    function arbitrate(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal,
        bool nodeRight,
        bytes calldata output
    ) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        Dispute storage d = _openDispute(id);
        require(msg.sender == d.arbitrator, NotArbitrator(id, msg.sender, d.arbitrator));
        require(block.timestamp < d.deadline, ArbitrationClosed(id, d.deadline));
        _resolve(
            id,
            job,
            claim,
            proposal,
            nodeRight ? IInferenceEscrow.Ruling.NodeRight : IInferenceEscrow.Ruling.NodeWrong,
            false,
            output
        );
    }

    /// @inheritdoc IDisputeManager
    function resolveTimeout(
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal
    ) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        Dispute storage d = _openDispute(id);
        require(block.timestamp >= d.deadline, ArbitrationOpen(id, d.deadline));
        _resolve(id, job, claim, proposal, IInferenceEscrow.Ruling.Draw, false, "");
    }

    /// @inheritdoc IDisputeManager
    function reportEquivocation(SignedResult calldata a, SignedResult calldata b) external nonReentrant {
        require(
            a.versionId == b.versionId && a.inputHash == b.inputHash && a.outputHash != b.outputHash,
            NotEquivocation()
        );
        address key = _signer(a);
        require(key == _signer(b), NotEquivocation());
        address node = teeRegistry.getEnclaveKey(key).node;
        require(node != address(0), UnknownSigner(key));
        require(!_equivocated[key], AlreadyReported(key));
        _equivocated[key] = true;
        Params memory p = _params;
        teeRegistry.revokeForEquivocation(key);
        uint256 slashed = escrow.slashForEquivocation(node, p.equivocationSlash, msg.sender, p.challengerRewardBps);
        emit EquivocationReported(node, key, a.versionId, a.inputHash, a.outputHash, b.outputHash, msg.sender, slashed);
    }

    /// @inheritdoc IDisputeManager
    function setParams(Params calldata params_) external onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc IDisputeManager
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IDisputeManager
    function disputeOf(JobId jobId) external view returns (Dispute memory) {
        return _disputes[jobId];
    }

    /// @inheritdoc IDisputeManager
    function isEquivocated(address enclaveKey) external view returns (bool) {
        return _equivocated[enclaveKey];
    }

    function _openDispute(JobId id) private view returns (Dispute storage d) {
        d = _disputes[id];
        require(d.challenger != address(0) && !d.resolved, NoOpenDispute(id));
    }

    /// @dev Ends the dispute: the bond goes to the node when it was right, else back to the challenger, into their
    /// escrow balances; then the escrow settles (node right) or refunds (node wrong: slash; draw: no slash).
    function _resolve(
        JobId id,
        IInferenceEscrow.Job calldata job,
        IInferenceEscrow.Claim calldata claim,
        IInferenceEscrow.Proposal calldata proposal,
        IInferenceEscrow.Ruling ruling,
        bool byProof,
        bytes memory output
    ) private {
        Dispute storage d = _disputes[id];
        d.resolved = true;
        address challenger = d.challenger;
        address bondTo = ruling == IInferenceEscrow.Ruling.NodeRight ? claim.node : challenger;
        uint256 bond = d.bond;
        emit DisputeResolved(id, ruling, byProof, bondTo);
        paymentToken.forceApprove(address(escrow), bond);
        escrow.deposit(bondTo, bond);
        escrow.resolveDispute(job, claim, proposal, ruling, challenger, d.challengerRewardBps, output);
    }

    /// @dev The key that signed `r`: over the single-result digest, or over the batch digest of `r.batch` once
    /// `r.batch[r.index]` is checked to be `r`'s own struct hash (the same digests `TeeResultVerifier` accepts).
    function _signer(SignedResult calldata r) private view returns (address key) {
        bytes32 digest;
        if (r.batch.length == 0) {
            digest = teeVerifier.resultDigest(
                address(escrow),
                JobId.unwrap(r.jobId),
                r.versionId,
                r.inputHash,
                r.outputHash
            );
        } else {
            bytes32 leaf = teeVerifier.resultStructHash(
                address(escrow),
                JobId.unwrap(r.jobId),
                r.versionId,
                r.inputHash,
                r.outputHash
            );
            require(r.index < r.batch.length && r.batch[r.index] == leaf, InvalidBatchEvidence(r.index));
            digest = teeVerifier.batchDigest(r.batch);
        }
        ECDSA.RecoverError err;
        (key, err, ) = ECDSA.tryRecoverCalldata(digest, r.signature);
        require(err == ECDSA.RecoverError.NoError, NotEquivocation());
    }

    function _setParams(Params memory p) private {
        require(p.bond != 0, ParamOutOfBounds("bond", p.bond));
        require(
            p.arbitrationPeriod >= MIN_ARBITRATION_PERIOD_SECONDS &&
                p.arbitrationPeriod <= MAX_ARBITRATION_PERIOD_SECONDS,
            ParamOutOfBounds("arbitrationPeriod", p.arbitrationPeriod)
        );
        require(
            p.challengerRewardBps <= MAX_CHALLENGER_REWARD_BPS,
            ParamOutOfBounds("challengerRewardBps", p.challengerRewardBps)
        );
        _params = p;
        emit ParamsSet(p);
    }
}
