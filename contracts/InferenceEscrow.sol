// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "./libraries/ReentrancyGuard.sol";
import {IInferenceConsumer} from "./interfaces/IInferenceConsumer.sol";
import {IInferenceEscrow} from "./interfaces/IInferenceEscrow.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ICollateralLedger, INodeStaking} from "./interfaces/INodeStaking.sol";
import {IResultVerifier} from "./interfaces/IResultVerifier.sol";
import {JobId, JobIdLib} from "./libraries/JobId.sol";
import {
    BPS,
    CALLBACK_GAS_RESERVE,
    CANCEL_GRACE_PERIOD_SECONDS,
    MAX_CALLBACK_GAS,
    MAX_CHALLENGE_WINDOW_SECONDS,
    MAX_COLLATERAL_BPS,
    MAX_DELIVERY_WINDOW_SECONDS,
    MAX_MODE,
    MAX_PROTOCOL_FEE_BPS,
    MAX_REQUEST_LIFETIME_SECONDS,
    MIN_CHALLENGE_WINDOW_SECONDS,
    MIN_COLLATERAL_BPS,
    MIN_DELIVERY_WINDOW_SECONDS,
    MISSED_DEADLINE_REQUESTER_SHARE_BPS,
    MODE_OPTIMISTIC,
    MODE_TEE,
    MODE_ZK
} from "./libraries/ConstantsLib.sol";

/// @title InferenceEscrow
/// @author Veritas contributors
/// @notice Escrowed inference jobs, verified results and pull balances. Governance (the owner, a timelock) can set the
/// fee (hard-capped), the collateral rate (bounded) and pause new requests; it can never move users' funds.
contract InferenceEscrow is IInferenceEscrow, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 private constant STATUS_MASK = bytes32(uint256(0xff));
    /// @dev Size of an ABI-encoded `Job` (15 static words).
    uint256 private constant JOB_SIZE = 480;

    /// @inheritdoc IInferenceEscrow
    IERC20 public immutable paymentToken;
    /// @inheritdoc IInferenceEscrow
    IModelRegistry public immutable registry;
    /// @inheritdoc IInferenceEscrow
    INodeStaking public immutable staking;
    /// @inheritdoc IInferenceEscrow
    address public immutable treasury;
    uint256 private immutable _minStake;
    IResultVerifier private immutable _teeVerifier;
    IResultVerifier private immutable _zkVerifier;
    address private immutable _deployer;

    /// @inheritdoc IInferenceEscrow
    address public disputeManager;
    Config private _config;
    mapping(address account => Account) private _accounts;
    mapping(JobId jobId => bytes32 commitment) private _jobs;
    mapping(uint256 modelId => ModelAccrual) private _accruals;
    mapping(JobId jobId => uint40 cancellableAt) private _cancellableAt;

    constructor(
        IERC20 paymentToken_,
        IModelRegistry registry_,
        INodeStaking staking_,
        address treasury_,
        IResultVerifier teeVerifier_,
        IResultVerifier zkVerifier_,
        Config memory config_,
        address owner_
    ) Ownable(owner_) {
        require(
            address(paymentToken_) != address(0) &&
                address(registry_) != address(0) &&
                address(staking_) != address(0) &&
                treasury_ != address(0),
            ZeroAddress()
        );
        paymentToken = paymentToken_;
        registry = registry_;
        staking = staking_;
        treasury = treasury_;
        _minStake = staking_.minStake();
        _teeVerifier = teeVerifier_;
        _zkVerifier = zkVerifier_;
        _deployer = msg.sender;
        _setProtocolFee(config_.feeBps);
        _setCollateralRate(config_.collateralPerPaymentBps);
        _setPaused(config_.paused);
        _setChallengeWindow(config_.challengeWindow);
    }

    /// @inheritdoc IInferenceEscrow
    function bindDisputeManager(address disputeManager_) external {
        require(msg.sender == _deployer && disputeManager == address(0), BindingNotAllowed(msg.sender));
        require(disputeManager_ != address(0), ZeroAddress());
        disputeManager = disputeManager_;
        emit DisputeManagerBound(disputeManager_);
    }

    // ---------------------------------------------------------------- balances

    /// @inheritdoc IInferenceEscrow
    function deposit(address account, uint256 amount) external nonReentrant {
        require(account != address(0), ZeroAddress());
        require(amount != 0, ZeroAmount());
        Account storage a = _accounts[account];
        uint256 balance = a.balance + amount;
        require(balance <= type(uint128).max, AmountTooLarge(amount));
        a.balance = uint128(balance);
        emit Deposited(account, msg.sender, amount);
        _pull(msg.sender, amount);
    }

    /// @inheritdoc IInferenceEscrow
    function withdraw(uint256 amount, address to) external nonReentrant {
        require(to != address(0), ZeroAddress());
        require(amount != 0, ZeroAmount());
        Account storage a = _accounts[msg.sender];
        uint256 balance = a.balance;
        require(balance >= amount, InsufficientBalance(msg.sender, balance, amount));
        a.balance = uint128(balance - amount);
        emit Withdrawn(msg.sender, to, amount);
        paymentToken.safeTransfer(to, amount);
    }

    // ---------------------------------------------------------------- requests

    /// @inheritdoc IInferenceEscrow
    function requestInference(RequestParams calldata params) external nonReentrant returns (JobId) {
        return _request(params, true);
    }

    /// @inheritdoc IInferenceEscrow
    function requestInferenceWithTransfer(RequestParams calldata params) external nonReentrant returns (JobId jobId) {
        jobId = _request(params, false);
        _pull(msg.sender, params.payment);
    }

    /// @inheritdoc IInferenceEscrow
    function requestInferenceWithPermit(
        RequestParams calldata params,
        Permit calldata permit
    ) external nonReentrant returns (JobId jobId) {
        jobId = _request(params, false);
        // A permit front-run by someone else only spends the nonce: the allowance is there either way, so a failed
        // permit is ignored on purpose (empty try and catch blocks) and `_pull` reverts if the allowance is missing.
        // solhint-disable no-empty-blocks
        try
            IERC20Permit(address(paymentToken)).permit(
                msg.sender,
                address(this),
                params.payment,
                permit.deadline,
                permit.v,
                permit.r,
                permit.s
            )
        {} catch {}
        // solhint-enable no-empty-blocks
        _pull(msg.sender, params.payment);
    }

    // ---------------------------------------------------------------- nodes

    /// @inheritdoc IInferenceEscrow
    function claim(Job calldata job) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        _checkJob(id, job, Claim(address(0), 0), JobStatus.Open);
        Claim memory c = _lockCollateral(id, job);
        _jobs[id] = _commitment(job, c, JobStatus.Claimed);
    }

    /// @dev Claims an open job for the caller: checks the node and locks the job's collateral. Emits `JobClaimed`.
    function _lockCollateral(JobId id, Job calldata job) private returns (Claim memory) {
        require(block.timestamp < job.expiresAt, RequestExpired(id, job.expiresAt));
        require(job.node == address(0) || job.node == msg.sender, JobReservedForNode(id, job.node, msg.sender));

        INodeStaking.Node memory n = _activeNode(job.mode);
        // A node that owes an equivocation debt locks nothing more until its released collateral has paid it.
        staking.requireNoEquivocationDebt(msg.sender);
        Account storage a = _accounts[msg.sender];
        uint256 alreadyLocked = a.locked;
        uint256 total = uint256(n.staked) + n.thawing;
        uint256 locked = alreadyLocked + job.collateral;
        require(
            locked <= total,
            InsufficientFreeStake(msg.sender, total > alreadyLocked ? total - alreadyLocked : 0, job.collateral)
        );

        uint256 deliverBy = block.timestamp + job.deliveryWindow;
        if (deliverBy > job.expiresAt) deliverBy = job.expiresAt;
        a.locked = uint96(locked);
        emit JobClaimed(id, msg.sender, uint40(deliverBy), job.collateral);
        return Claim(msg.sender, uint40(deliverBy));
    }

    /// @inheritdoc IInferenceEscrow
    function submitResult(
        Job calldata job,
        Claim calldata claim_,
        bytes calldata output,
        bytes calldata proof
    ) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        bytes32 h = _checkSubmission(id, job, claim_, true);
        IResultVerifier verifier = _verifierOf(job.mode);
        require(address(verifier) != address(0), ModeNotVerifiedAtSubmission(id, job.mode));
        bytes32 outputHash = keccak256(output);
        require(
            verifier.verifyResult(_context(id, job, outputHash), output, proof) ==
                IResultVerifier.verifyResult.selector,
            ResultRejected(id)
        );
        _settle(id, h, job, msg.sender, claim_.node != address(0), outputHash, output);
        _callback(id, job, output);
    }

    /// @inheritdoc IInferenceEscrow
    function submitBatch(
        Job[] calldata jobs,
        Claim[] calldata claims,
        bytes[] calldata outputs,
        bytes calldata proof
    ) external nonReentrant {
        uint256 n = jobs.length;
        require(n != 0 && claims.length == n && outputs.length == n, InvalidBatch());
        uint8 mode = jobs[0].mode;
        IResultVerifier verifier = _verifierOf(mode);
        IResultVerifier.ResultContext[] memory ctxs = new IResultVerifier.ResultContext[](n);
        bytes32[] memory hashes = new bytes32[](n);
        // Every job has the same mode and submitter: the staking record is checked once, at the first direct fulfil.
        bool checkNode = true;
        for (uint256 i; i < n; ++i) {
            Job calldata job = jobs[i];
            JobId id = JobIdLib.from(job.requester, job.nonce);
            require(job.mode == mode, InvalidBatch());
            require(address(verifier) != address(0), ModeNotVerifiedAtSubmission(id, mode));
            Claim calldata c = claims[i];
            if (checkNode && c.node == address(0)) {
                _activeNode(mode);
                checkNode = false;
            }
            // A job another transaction moved (or whose deadline passed) is left out: no third party reverts the rest.
            // `hashes[i]` stays zero for it. Any other failed check is the submitter's own and reverts.
            (bool fulfillable, JobStatus status) = _fulfillable(id, job, c);
            if (fulfillable) {
                hashes[i] = _checkSubmission(id, job, c, false);
            } else {
                emit ResultSkipped(id, msg.sender, status);
            }
            // The proof covers every listed result, skipped or not.
            ctxs[i] = _context(id, job, keccak256(outputs[i]));
        }
        require(
            verifier.verifyBatch(ctxs, proof) == IResultVerifier.verifyBatch.selector,
            ResultRejected(ctxs[0].jobId)
        );
        // The node's earnings and each run of one model's royalties and fees are written once, not once per job.
        uint256 earned;
        uint256 modelId = jobs[0].modelId;
        uint256 royalties;
        uint256 fees;
        for (uint256 i; i < n; ++i) {
            if (hashes[i] == 0) continue;
            JobId id = ctxs[i].jobId;
            // The same job listed twice passed the checks above twice: only its first copy may settle.
            JobStatus status = JobStatus(uint8(uint256(_jobs[id])));
            require(status != JobStatus.Settled, InvalidJobStatus(id, status, JobStatus.Claimed));
            Job calldata job = jobs[i];
            if (job.modelId != modelId) {
                _accrue(modelId, royalties, fees);
                (modelId, royalties, fees) = (job.modelId, 0, 0);
            }
            (uint256 nodeFee, uint256 royalty, uint256 protocolFee) = _settleJob(
                id,
                hashes[i],
                job,
                msg.sender,
                claims[i].node != address(0),
                ctxs[i].outputHash,
                outputs[i]
            );
            earned += nodeFee;
            royalties += royalty;
            fees += protocolFee;
        }
        _accrue(modelId, royalties, fees);
        _credit(msg.sender, earned);
        for (uint256 i; i < n; ++i) {
            if (hashes[i] != 0) _callback(ctxs[i].jobId, jobs[i], outputs[i]);
        }
    }

    // ---------------------------------------------------------------- refunds and deadlines

    /// @inheritdoc IInferenceEscrow
    function requestCancel(Job calldata job) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        _checkJob(id, job, Claim(address(0), 0), JobStatus.Open);
        require(msg.sender == job.requester, NotRequester(id, msg.sender));
        uint40 at = _cancellableAt[id];
        require(at == 0, CancelAlreadyRequested(id, at));
        at = uint40(block.timestamp) + CANCEL_GRACE_PERIOD_SECONDS;
        _cancellableAt[id] = at;
        emit CancelRequested(id, at);
    }

    /// @inheritdoc IInferenceEscrow
    function cancel(Job calldata job) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        bytes32 h = _checkJob(id, job, Claim(address(0), 0), JobStatus.Open);
        require(msg.sender == job.requester, NotRequester(id, msg.sender));
        uint40 at = _cancellableAt[id];
        require(at != 0, CancelNotRequested(id));
        require(block.timestamp >= at, CancelGracePeriod(id, at));
        delete _cancellableAt[id];
        _jobs[id] = h | bytes32(uint256(JobStatus.Cancelled));
        _credit(job.requester, job.payment);
        emit JobCancelled(id, job.payment);
    }

    /// @inheritdoc IInferenceEscrow
    function expire(Job calldata job) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        bytes32 h = _checkJob(id, job, Claim(address(0), 0), JobStatus.Open);
        require(block.timestamp >= job.expiresAt, RequestNotExpired(id, job.expiresAt));
        _expire(id, h, job);
    }

    /// @inheritdoc IInferenceEscrow
    function reportMissedDeadline(Job calldata job, Claim calldata claim_) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        _checkJob(id, job, claim_, JobStatus.Claimed);
        require(block.timestamp > claim_.deliverBy, DeliveryDeadlineNotPassed(id, claim_.deliverBy));
        _accounts[claim_.node].locked -= job.collateral;
        emit DeliveryMissed(id, claim_.node, job.collateral);
        bytes32 reopened = _commitment(job, Claim(address(0), 0), JobStatus.Open);
        if (block.timestamp >= job.expiresAt) {
            _expire(id, reopened & ~STATUS_MASK, job);
        } else {
            _jobs[id] = reopened;
        }
        if (job.collateral != 0) {
            staking.slash(claim_.node, job.collateral, job.requester, MISSED_DEADLINE_REQUESTER_SHARE_BPS);
        }
    }

    // ---------------------------------------------------------------- optimistic results and disputes

    /// @inheritdoc IInferenceEscrow
    function proposeResult(Job calldata job, Claim calldata claim_, bytes calldata output) external nonReentrant {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        require(job.mode == MODE_OPTIMISTIC, ModeNotOptimistic(id, job.mode));
        // Claim first, always: the output is revealed only once the job is the caller's, so no other node can copy it.
        _checkJob(id, job, claim_, JobStatus.Claimed);
        require(msg.sender == claim_.node, NotClaimer(id, msg.sender, claim_.node));
        require(block.timestamp <= claim_.deliverBy, DeliveryDeadlinePassed(id, claim_.deliverBy));
        bytes32 outputHash = keccak256(output);
        uint40 challengeEnds = uint40(block.timestamp) + job.challengeWindow;
        _jobs[id] =
            _proposalHash(job, claim_, Proposal(outputHash, challengeEnds)) | bytes32(uint256(JobStatus.Proposed));
        emit ResultProposed(id, msg.sender, outputHash, output, challengeEnds);
    }

    /// @inheritdoc IInferenceEscrow
    function finalize(
        Job calldata job,
        Claim calldata claim_,
        Proposal calldata proposal,
        bytes calldata output
    ) external nonReentrant {
        JobId id = _finalize(job, claim_, proposal, output);
        _callback(id, job, output);
    }

    /// @inheritdoc IInferenceEscrow
    function finalizeBatch(
        Job[] calldata jobs,
        Claim[] calldata claims,
        Proposal[] calldata proposals,
        bytes[] calldata outputs
    ) external nonReentrant {
        uint256 n = jobs.length;
        require(n != 0 && claims.length == n && proposals.length == n && outputs.length == n, InvalidBatch());
        JobId[] memory ids = new JobId[](n);
        for (uint256 i; i < n; ++i) {
            ids[i] = _finalize(jobs[i], claims[i], proposals[i], outputs[i]);
        }
        for (uint256 i; i < n; ++i) {
            _callback(ids[i], jobs[i], outputs[i]);
        }
    }

    /// @inheritdoc IInferenceEscrow
    function markDisputed(
        Job calldata job,
        Claim calldata claim_,
        Proposal calldata proposal,
        address challenger
    ) external nonReentrant {
        require(msg.sender == disputeManager, NotDisputeManager(msg.sender));
        JobId id = JobIdLib.from(job.requester, job.nonce);
        bytes32 h = _checkProposal(id, job, claim_, proposal, JobStatus.Proposed);
        require(block.timestamp < proposal.challengeEnds, ChallengeWindowClosed(id, proposal.challengeEnds));
        _jobs[id] = h | bytes32(uint256(JobStatus.Disputed));
        emit JobDisputed(id, challenger);
    }

    /// @inheritdoc IInferenceEscrow
    function resolveDispute(
        Job calldata job,
        Claim calldata claim_,
        Proposal calldata proposal,
        Ruling ruling,
        address challenger,
        uint16 challengerRewardBps,
        bytes calldata output
    ) external nonReentrant {
        require(msg.sender == disputeManager, NotDisputeManager(msg.sender));
        JobId id = JobIdLib.from(job.requester, job.nonce);
        bytes32 h = _checkProposal(id, job, claim_, proposal, JobStatus.Disputed);
        if (ruling == Ruling.NodeRight) {
            bytes32 outputHash = keccak256(output);
            require(outputHash == proposal.outputHash, OutputMismatch(id, outputHash, proposal.outputHash));
            _settle(id, h, job, claim_.node, true, outputHash, output);
            _callback(id, job, output);
            return;
        }
        uint256 slashed = ruling == Ruling.NodeWrong ? job.collateral : 0;
        _jobs[id] = h | bytes32(uint256(JobStatus.Refunded));
        _accounts[claim_.node].locked -= job.collateral;
        _credit(job.requester, job.payment);
        emit JobRefunded(id, job.payment, ruling, slashed);
        if (slashed != 0) staking.slash(claim_.node, slashed, challenger, challengerRewardBps);
    }

    /// @inheritdoc IInferenceEscrow
    function slashForEquivocation(
        address node,
        uint256 amount,
        address reporter,
        uint16 rewardBps
    ) external nonReentrant returns (uint256 slashed) {
        require(msg.sender == disputeManager, NotDisputeManager(msg.sender));
        // Free stake now, the rest as a debt the staking contract collects as this node's locks are released.
        slashed = staking.slashForEquivocation(node, amount, reporter, rewardBps);
    }

    /// @inheritdoc IInferenceEscrow
    function verifyDisputeProof(
        Job calldata job,
        Claim calldata claim_,
        Proposal calldata proposal,
        bytes calldata output,
        bytes calldata proof
    ) external view returns (bool) {
        JobId id = JobIdLib.from(job.requester, job.nonce);
        _checkProposal(id, job, claim_, proposal, JobStatus.Disputed);
        require(address(_zkVerifier) != address(0), ModeNotSupported(job.versionId, MODE_ZK));
        IResultVerifier.ResultContext memory ctx = IResultVerifier.ResultContext({
            jobId: id,
            requester: job.requester,
            node: claim_.node,
            versionId: job.versionId,
            inputDigest: job.inputDigest,
            outputHash: keccak256(output)
        });
        return _zkVerifier.verifyResult(ctx, output, proof) == IResultVerifier.verifyResult.selector;
    }

    // ---------------------------------------------------------------- royalties and fees

    /// @inheritdoc IInferenceEscrow
    function withdrawRoyalties(uint256 modelId, address to) external nonReentrant {
        require(to != address(0), ZeroAddress());
        require(registry.modelOwner(modelId) == msg.sender, NotModelOwner(modelId, msg.sender));
        ModelAccrual storage m = _accruals[modelId];
        uint256 amount = m.royalties;
        require(amount != 0, NothingToWithdraw());
        m.royalties = 0;
        emit RoyaltiesWithdrawn(modelId, msg.sender, to, amount);
        paymentToken.safeTransfer(to, amount);
    }

    /// @inheritdoc IInferenceEscrow
    function collectProtocolFees(uint256[] calldata modelIds) external nonReentrant {
        uint256 amount;
        for (uint256 i; i < modelIds.length; ++i) {
            ModelAccrual storage m = _accruals[modelIds[i]];
            amount += m.protocolFees;
            m.protocolFees = 0;
        }
        require(amount != 0, NothingToWithdraw());
        emit ProtocolFeesCollected(treasury, amount);
        paymentToken.safeTransfer(treasury, amount);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IInferenceEscrow
    function setProtocolFee(uint16 feeBps) external onlyOwner {
        _setProtocolFee(feeBps);
    }

    /// @inheritdoc IInferenceEscrow
    function setCollateralRate(uint32 collateralPerPaymentBps) external onlyOwner {
        _setCollateralRate(collateralPerPaymentBps);
    }

    /// @inheritdoc IInferenceEscrow
    function setPaused(bool paused) external onlyOwner {
        _setPaused(paused);
    }

    /// @inheritdoc IInferenceEscrow
    function setChallengeWindow(uint40 challengeWindow) external onlyOwner {
        _setChallengeWindow(challengeWindow);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IInferenceEscrow
    function verifierOf(uint8 mode) external view returns (IResultVerifier) {
        return _verifierOf(mode);
    }

    /// @inheritdoc IInferenceEscrow
    function config() external view returns (Config memory) {
        return _config;
    }

    /// @inheritdoc IInferenceEscrow
    function accountOf(address account) external view returns (Account memory) {
        return _accounts[account];
    }

    /// @inheritdoc IInferenceEscrow
    function balanceOf(address account) external view returns (uint256) {
        return _accounts[account].balance;
    }

    /// @inheritdoc ICollateralLedger
    function lockedCollateral(address node) external view returns (uint256) {
        return _accounts[node].locked;
    }

    /// @inheritdoc IInferenceEscrow
    function accrualOf(uint256 modelId) external view returns (ModelAccrual memory) {
        return _accruals[modelId];
    }

    /// @inheritdoc IInferenceEscrow
    function jobStatus(JobId jobId) external view returns (JobStatus) {
        return JobStatus(uint8(uint256(_jobs[jobId])));
    }

    /// @inheritdoc IInferenceEscrow
    function jobCommitment(JobId jobId) external view returns (bytes32) {
        return _jobs[jobId];
    }

    /// @inheritdoc IInferenceEscrow
    function cancellableAt(JobId jobId) external view returns (uint40) {
        return _cancellableAt[jobId];
    }

    /// @inheritdoc IInferenceEscrow
    function jobIdOf(Job calldata job) external pure returns (JobId) {
        return JobIdLib.from(job.requester, job.nonce);
    }

    /// @inheritdoc IInferenceEscrow
    function nextJobId(address requester) external view returns (JobId) {
        return JobIdLib.from(requester, _accounts[requester].nonce);
    }

    // ---------------------------------------------------------------- internals

    function _request(RequestParams calldata p, bool prepaid) private returns (JobId id) {
        Config memory cfg = _config;
        require(!cfg.paused, RequestsPaused());
        IModelRegistry.VersionTerms memory t = registry.versionTerms(p.versionId);
        require(!t.deprecated, VersionDeprecated(p.versionId));
        require(
            p.mode != 0 &&
                p.mode <= MAX_MODE &&
                t.modes & (1 << p.mode) != 0 &&
                (p.mode == MODE_OPTIMISTIC ? disputeManager != address(0) : address(_verifierOf(p.mode)) != address(0)),
            ModeNotSupported(p.versionId, p.mode)
        );
        uint256 payment = p.payment;
        uint256 minimum = t.royalty + (payment * cfg.feeBps) / BPS;
        require(payment != 0 && payment >= minimum, PaymentTooLow(payment, minimum));
        require(
            p.deliveryWindow >= MIN_DELIVERY_WINDOW_SECONDS && p.deliveryWindow <= MAX_DELIVERY_WINDOW_SECONDS,
            InvalidDeliveryWindow(p.deliveryWindow, MIN_DELIVERY_WINDOW_SECONDS, MAX_DELIVERY_WINDOW_SECONDS)
        );
        uint256 earliest = block.timestamp + p.deliveryWindow;
        uint256 latest = block.timestamp + MAX_REQUEST_LIFETIME_SECONDS;
        require(p.expiresAt >= earliest && p.expiresAt <= latest, InvalidExpiry(p.expiresAt, earliest, latest));
        require(p.callbackGasLimit <= MAX_CALLBACK_GAS, CallbackGasTooHigh(p.callbackGasLimit, MAX_CALLBACK_GAS));
        uint256 collateral = (payment * cfg.collateralPerPaymentBps) / BPS;
        if (collateral < t.minCollateral) collateral = t.minCollateral;
        require(collateral <= type(uint96).max, AmountTooLarge(payment));

        Account storage a = _accounts[msg.sender];
        uint32 nonce = a.nonce;
        if (prepaid) {
            uint256 balance = a.balance;
            require(balance >= payment, InsufficientBalance(msg.sender, balance, payment));
            a.balance = uint128(balance - payment);
        }
        a.nonce = nonce + 1;
        id = JobIdLib.from(msg.sender, nonce);
        Job memory job = Job({
            requester: msg.sender,
            nonce: nonce,
            versionId: p.versionId,
            callbackGasLimit: p.callbackGasLimit,
            node: p.node,
            mode: p.mode,
            modelId: t.modelId,
            payment: p.payment,
            royalty: t.royalty,
            feeBps: cfg.feeBps,
            collateral: uint96(collateral),
            deliveryWindow: p.deliveryWindow,
            expiresAt: p.expiresAt,
            inputDigest: p.inputDigest,
            challengeWindow: p.mode == MODE_OPTIMISTIC ? cfg.challengeWindow : 0
        });
        bytes32 h;
        // Hashes the in-memory job as its ABI encoding, without a second copy through abi.encode (gas per request).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // A memory struct of value types is one word per field, in order: its ABI encoding. Append an empty claim.
            let ptr := mload(0x40)
            mcopy(ptr, job, JOB_SIZE)
            mstore(add(ptr, JOB_SIZE), 0)
            mstore(add(ptr, add(JOB_SIZE, 0x20)), 0)
            h := and(keccak256(ptr, add(JOB_SIZE, 0x40)), not(0xff))
        }
        _jobs[id] = h | bytes32(uint256(JobStatus.Open));
        emit JobRequested(id, msg.sender, p.versionId, job, p.inputURI);
    }

    /// @dev Checks an open job for direct fulfilment by the caller, or a claimed job for submission by its claimer.
    /// `checkNode` false skips the caller's staking check (a batch makes it once, for its first direct fulfil).
    function _checkSubmission(
        JobId id,
        Job calldata job,
        Claim calldata claim_,
        bool checkNode
    ) private view returns (bytes32 h) {
        if (claim_.node == address(0)) {
            h = _checkJob(id, job, claim_, JobStatus.Open);
            require(block.timestamp < job.expiresAt, RequestExpired(id, job.expiresAt));
            require(job.node == address(0) || job.node == msg.sender, JobReservedForNode(id, job.node, msg.sender));
            // A direct fulfil locks nothing, but only a registered, staked node with the capability may serve: its
            // stake stays exposed to equivocation and to its other jobs' disputes.
            if (checkNode) _activeNode(job.mode);
        } else {
            h = _checkJob(id, job, claim_, JobStatus.Claimed);
            require(msg.sender == claim_.node, NotClaimer(id, msg.sender, claim_.node));
            require(block.timestamp <= claim_.deliverBy, DeliveryDeadlinePassed(id, claim_.deliverBy));
        }
    }

    /// @dev Whether a batch entry can still be fulfilled by the caller: the job's status is the one its submission
    /// expects (`Open` for a direct fulfil, `Claimed` with a claim) and its deadline has not passed. Status and deadline
    /// are what other transactions or time change; an unknown job is the submitter's mistake and reverts.
    function _fulfillable(
        JobId id,
        Job calldata job,
        Claim calldata claim_
    ) private view returns (bool fulfillable, JobStatus status) {
        bytes32 stored = _jobs[id];
        require(stored != 0, UnknownJob(id));
        status = JobStatus(uint8(uint256(stored)));
        fulfillable =
            claim_.node == address(0)
                ? status == JobStatus.Open && block.timestamp < job.expiresAt
                : status == JobStatus.Claimed && block.timestamp <= claim_.deliverBy;
    }

    /// @dev The caller's staking record, if it is registered, has the minimum active stake and serves `mode`.
    function _activeNode(uint8 mode) private view returns (INodeStaking.Node memory n) {
        n = staking.getNode(msg.sender);
        require(n.registered, NodeNotRegistered(msg.sender));
        require(n.staked >= _minStake, NodeStakeBelowMinimum(msg.sender, n.staked, _minStake));
        require(n.capabilities & (1 << mode) != 0, NodeLacksCapability(msg.sender, mode));
    }

    /// @dev Checks the status byte first (so a double claim reports the status), then the parameters' hash.
    /// Returns the hash with a cleared status byte.
    function _checkJob(
        JobId id,
        Job calldata job,
        Claim memory claim_,
        JobStatus expected
    ) private view returns (bytes32 h) {
        bytes32 stored = _jobs[id];
        require(stored != 0, UnknownJob(id));
        JobStatus status = JobStatus(uint8(uint256(stored)));
        require(status == expected, InvalidJobStatus(id, status, expected));
        h = _hash(job, claim_.node, claim_.deliverBy);
        require(stored & ~STATUS_MASK == h, JobMismatch(id));
    }

    /// @dev Settles an unchallenged proposal after its window; returns the job id.
    function _finalize(
        Job calldata job,
        Claim calldata claim_,
        Proposal calldata proposal,
        bytes calldata output
    ) private returns (JobId id) {
        id = JobIdLib.from(job.requester, job.nonce);
        bytes32 h = _checkProposal(id, job, claim_, proposal, JobStatus.Proposed);
        require(block.timestamp >= proposal.challengeEnds, ChallengeWindowOpen(id, proposal.challengeEnds));
        bytes32 outputHash = keccak256(output);
        require(outputHash == proposal.outputHash, OutputMismatch(id, outputHash, proposal.outputHash));
        _settle(id, h, job, claim_.node, true, outputHash, output);
    }

    /// @dev Checks the status byte, then the hash of (job, claim, proposal). Returns the hash with a cleared status byte.
    function _checkProposal(
        JobId id,
        Job calldata job,
        Claim calldata claim_,
        Proposal calldata proposal,
        JobStatus expected
    ) private view returns (bytes32 h) {
        bytes32 stored = _jobs[id];
        require(stored != 0, UnknownJob(id));
        JobStatus status = JobStatus(uint8(uint256(stored)));
        require(status == expected, InvalidJobStatus(id, status, expected));
        h = _proposalHash(job, claim_, proposal);
        require(stored & ~STATUS_MASK == h, JobMismatch(id));
    }

    /// @dev `keccak256(abi.encode(job, claim, proposal))` with the status byte cleared.
    function _proposalHash(
        Job calldata job,
        Claim memory claim_,
        Proposal memory proposal
    ) private pure returns (bytes32 h) {
        address node = claim_.node;
        uint256 deliverBy = claim_.deliverBy;
        bytes32 outputHash = proposal.outputHash;
        uint256 challengeEnds = proposal.challengeEnds;
        // Hashes the calldata job as is (one calldatacopy, no abi.encode re-encoding); a non-canonical job is refused.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, job, JOB_SIZE)
            mstore(add(ptr, JOB_SIZE), node)
            mstore(add(ptr, add(JOB_SIZE, 0x20)), deliverBy)
            mstore(add(ptr, add(JOB_SIZE, 0x40)), outputHash)
            mstore(add(ptr, add(JOB_SIZE, 0x60)), challengeEnds)
            h := and(keccak256(ptr, add(JOB_SIZE, 0x80)), not(0xff))
        }
    }

    function _commitment(Job calldata job, Claim memory claim_, JobStatus status) private pure returns (bytes32) {
        return _hash(job, claim_.node, claim_.deliverBy) | bytes32(uint256(status));
    }

    /// @dev `keccak256(abi.encode(job, Claim(node, deliverBy)))` with the status byte cleared. `Job` is a static struct,
    /// so its ABI encoding is its calldata, copied as is: a non-canonical encoding hashes differently and is refused.
    function _hash(Job calldata job, address node, uint256 deliverBy) private pure returns (bytes32 h) {
        // Hashes the calldata job as is (one calldatacopy, no abi.encode re-encoding); a non-canonical job is refused.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, job, JOB_SIZE)
            mstore(add(ptr, JOB_SIZE), node)
            mstore(add(ptr, add(JOB_SIZE, 0x20)), deliverBy)
            h := and(keccak256(ptr, add(JOB_SIZE, 0x40)), not(0xff))
        }
    }

    function _context(
        JobId id,
        Job calldata job,
        bytes32 outputHash
    ) private view returns (IResultVerifier.ResultContext memory) {
        return
            IResultVerifier.ResultContext({
                jobId: id,
                requester: job.requester,
                node: msg.sender,
                versionId: job.versionId,
                inputDigest: job.inputDigest,
                outputHash: outputHash
            });
    }

    function _settle(
        JobId id,
        bytes32 h,
        Job calldata job,
        address node,
        bool claimed,
        bytes32 outputHash,
        bytes calldata output
    ) private {
        (uint256 nodeFee, uint256 royalty, uint256 protocolFee) = _settleJob(
            id,
            h,
            job,
            node,
            claimed,
            outputHash,
            output
        );
        _credit(node, nodeFee);
        _accrue(job.modelId, royalty, protocolFee);
    }

    /// @dev Marks a job settled, releases its collateral and emits `JobSettled`; the caller credits the returned
    /// node fee to the node and accrues the royalty and protocol fee to the model.
    function _settleJob(
        JobId id,
        bytes32 h,
        Job calldata job,
        address node,
        bool claimed,
        bytes32 outputHash,
        bytes calldata output
    ) private returns (uint256 nodeFee, uint256 royalty, uint256 protocolFee) {
        protocolFee = (uint256(job.payment) * job.feeBps) / BPS;
        royalty = job.royalty;
        nodeFee = job.payment - royalty - protocolFee;
        _jobs[id] = h | bytes32(uint256(JobStatus.Settled));
        if (claimed) _accounts[node].locked -= job.collateral;
        emit JobSettled(id, node, outputHash, output, nodeFee, royalty, protocolFee);
    }

    function _accrue(uint256 modelId, uint256 royalty, uint256 protocolFee) private {
        ModelAccrual storage m = _accruals[modelId];
        if (royalty != 0) m.royalties += uint128(royalty);
        if (protocolFee != 0) m.protocolFees += uint128(protocolFee);
    }

    /// @dev Calls a contract requester with exactly its gas limit. Its outcome never reverts settlement; the caller
    /// must send enough gas for the full limit, so a node cannot starve the callback on purpose.
    function _callback(JobId id, Job calldata job, bytes calldata output) private {
        uint256 gasLimit = job.callbackGasLimit;
        address target = job.requester;
        if (gasLimit == 0 || target.code.length == 0) return;
        // Build the call data first: for a large output, its memory costs must not come out of the callback's gas.
        bytes memory data = abi.encodeCall(IInferenceConsumer.onInferenceResult, (id, output));
        uint256 needed = gasLimit + gasLimit / 63 + CALLBACK_GAS_RESERVE;
        require(gasleft() >= needed, InsufficientGasForCallback(id, gasleft(), needed));
        bool success;
        // A low-level call that copies no return data, which Solidity's `.call` always does.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // No return data is copied: a callback cannot make settlement pay for a huge revert reason.
            success := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        emit CallbackExecuted(id, success);
    }

    function _expire(JobId id, bytes32 h, Job calldata job) private {
        _jobs[id] = h | bytes32(uint256(JobStatus.Expired));
        _credit(job.requester, job.payment);
        emit JobExpired(id, job.payment);
    }

    function _credit(address account, uint256 amount) private {
        _accounts[account].balance += uint128(amount);
    }

    /// @dev Pulls tokens and checks the escrow received exactly `amount`.
    function _pull(address from, uint256 amount) private {
        uint256 before = paymentToken.balanceOf(address(this));
        paymentToken.safeTransferFrom(from, address(this), amount);
        uint256 received = paymentToken.balanceOf(address(this)) - before;
        require(received == amount, TransferAmountMismatch(amount, received));
    }

    function _verifierOf(uint8 mode) private view returns (IResultVerifier) {
        if (mode == MODE_TEE) return _teeVerifier;
        if (mode == MODE_ZK) return _zkVerifier;
        return IResultVerifier(address(0));
    }

    function _setProtocolFee(uint16 feeBps) private {
        require(feeBps <= MAX_PROTOCOL_FEE_BPS, FeeTooHigh(feeBps, MAX_PROTOCOL_FEE_BPS));
        _config.feeBps = feeBps;
        emit ProtocolFeeSet(feeBps);
    }

    function _setCollateralRate(uint32 rate) private {
        require(
            rate >= MIN_COLLATERAL_BPS && rate <= MAX_COLLATERAL_BPS,
            CollateralRateOutOfBounds(rate, MIN_COLLATERAL_BPS, MAX_COLLATERAL_BPS)
        );
        _config.collateralPerPaymentBps = rate;
        emit CollateralRateSet(rate);
    }

    function _setChallengeWindow(uint40 window) private {
        require(
            window >= MIN_CHALLENGE_WINDOW_SECONDS && window <= MAX_CHALLENGE_WINDOW_SECONDS,
            ChallengeWindowOutOfBounds(window, MIN_CHALLENGE_WINDOW_SECONDS, MAX_CHALLENGE_WINDOW_SECONDS)
        );
        _config.challengeWindow = window;
        emit ChallengeWindowSet(window);
    }

    function _setPaused(bool paused) private {
        _config.paused = paused;
        emit PausedSet(paused);
    }
}
