// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IModelRegistry} from "./IModelRegistry.sol";
import {ICollateralLedger, INodeStaking} from "./INodeStaking.sol";
import {IResultVerifier} from "./IResultVerifier.sol";
import {JobId} from "../libraries/JobId.sol";

/// @title IInferenceEscrow
/// @author Veritas contributors
/// @notice Requesters escrow payment for inference jobs; nodes claim them (locking collateral) and submit results that a
/// verifier checks in the same call; settlement credits pull balances. The escrow stores one slot per job: a hash of the
/// job's parameters and claim, with the status in its low byte. Callers pass the parameters back in calldata (they are
/// all in the `JobRequested` and `JobClaimed` events), as Chainlink VRF and Functions do.
interface IInferenceEscrow is ICollateralLedger {
    /// @notice Status of a job. `Settled`, `Cancelled`, `Expired` and `Refunded` are terminal.
    enum JobStatus {
        None,
        Open,
        Claimed,
        Settled,
        Cancelled,
        Expired,
        Proposed,
        Disputed,
        Refunded
    }

    /// @notice How a dispute ended. `NodeRight`: the proposal stands and settles, the challenger's bond goes to the
    /// node. `NodeWrong`: the node's collateral is slashed, the requester refunded, the challenger rewarded. `Draw`:
    /// nobody ruled in time; the requester is refunded, the bond returned, nobody slashed.
    enum Ruling {
        NodeRight,
        NodeWrong,
        Draw
    }

    /// @notice An optimistic proposal: the proposed output's hash and the end of its challenge window.
    struct Proposal {
        bytes32 outputHash;
        uint40 challengeEnds;
    }

    // `Job` is never stored: the escrow keeps only the hash of its ABI encoding (one word per field, in this order) and
    // callers pass it back in calldata, so packing it would save no storage and would change the ABI and every hash.
    // solhint-disable gas-struct-packing
    /// @notice A job's parameters, fixed at request (including the fee, royalty and collateral terms of that moment,
    /// so governance or the model owner can never change a job already open).
    /// @param requester Who paid; the callback target if `callbackGasLimit` is non-zero.
    /// @param nonce The requester's request nonce (the job id is derived from requester and nonce).
    /// @param versionId The model version.
    /// @param callbackGasLimit Gas for `onInferenceResult` (zero: no callback).
    /// @param node The only node allowed to serve the job, or zero for the open market.
    /// @param mode The verification mode (`MODE_TEE`, `MODE_ZK`, `MODE_OPTIMISTIC`).
    /// @param modelId The version's model, whose owner earns the royalty.
    /// @param payment Escrowed payment, payment-token units.
    /// @param royalty Model royalty out of `payment`.
    /// @param feeBps Protocol fee in basis points of `payment`.
    /// @param collateral Staking-token collateral a claimer locks.
    /// @param deliveryWindow Seconds a claimer has to deliver.
    /// @param expiresAt The request's final deadline: after it, an unserved job is refunded.
    /// @param inputDigest Digest (or, for ZK, commitment) of the input.
    /// @param challengeWindow Seconds an optimistic proposal stays open to challenges (zero for other modes).
    struct Job {
        address requester;
        uint32 nonce;
        uint64 versionId;
        uint32 callbackGasLimit;
        address node;
        uint8 mode;
        uint48 modelId;
        uint96 payment;
        uint96 royalty;
        uint16 feeBps;
        uint96 collateral;
        uint40 deliveryWindow;
        uint40 expiresAt;
        bytes32 inputDigest;
        uint40 challengeWindow;
    }
    // solhint-enable gas-struct-packing

    /// @notice The claim on a job (all zero while the job is open).
    /// @param node The claiming node.
    /// @param deliverBy The delivery deadline.
    struct Claim {
        address node;
        uint40 deliverBy;
    }

    /// @notice What a requester asks for.
    /// @param versionId The model version.
    /// @param mode The verification mode.
    /// @param node A specific node, or zero.
    /// @param payment Payment to escrow (royalty + protocol fee + node fee).
    /// @param deliveryWindow Seconds a claimer has to deliver.
    /// @param expiresAt Final deadline of the request.
    /// @param callbackGasLimit Gas for the callback (zero: none).
    /// @param inputDigest Digest (ZK: commitment) of the input.
    /// @param inputURI Where nodes fetch the input (emitted, not stored).
    struct RequestParams {
        uint64 versionId;
        uint8 mode;
        address node;
        uint96 payment;
        uint40 deliveryWindow;
        uint40 expiresAt;
        uint32 callbackGasLimit;
        bytes32 inputDigest;
        string inputURI;
    }

    /// @notice An EIP-2612 permit of the payment token.
    struct Permit {
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice An account in the escrow, one slot: a pull balance (prepaid funds and earnings alike), the collateral
    /// locked by the account's claims (staking-token units), and its request nonce.
    struct Account {
        uint128 balance;
        uint96 locked;
        uint32 nonce;
    }

    /// @notice What settled jobs of a model accrued: the owner's royalties and the protocol's fees, one slot.
    struct ModelAccrual {
        uint128 royalties;
        uint128 protocolFees;
    }

    /// @notice Governance parameters, one slot. Changes apply to later requests only.
    /// @param feeBps Protocol fee, at most `MAX_PROTOCOL_FEE_BPS`.
    /// @param collateralPerPaymentBps Staking-token collateral per payment-token unit of payment, in basis points.
    /// @param paused Whether new requests are refused (nothing else ever is).
    /// @param challengeWindow Challenge window of later optimistic requests, in seconds.
    struct Config {
        uint16 feeBps;
        uint32 collateralPerPaymentBps;
        bool paused;
        uint40 challengeWindow;
    }

    /// @notice Emitted when tokens are deposited into an account.
    /// @param account The account credited.
    /// @param from Who paid.
    /// @param amount Amount.
    event Deposited(address indexed account, address indexed from, uint256 amount);
    /// @notice Emitted when an account withdraws.
    /// @param account The account debited.
    /// @param to The receiver.
    /// @param amount Amount.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice Emitted when a job is requested, with every parameter a node needs.
    /// @param jobId The job.
    /// @param requester The requester.
    /// @param versionId The model version.
    /// @param job The full job (pass it back to claim, submit, cancel or expire).
    /// @param inputURI Where to fetch the input.
    event JobRequested(
        JobId indexed jobId,
        address indexed requester,
        uint64 indexed versionId,
        Job job,
        string inputURI
    );
    /// @notice Emitted when a node claims a job.
    /// @param jobId The job.
    /// @param node The claimer.
    /// @param deliverBy Its delivery deadline.
    /// @param collateral Collateral locked.
    event JobClaimed(JobId indexed jobId, address indexed node, uint40 deliverBy, uint256 collateral);
    /// @notice Emitted when a verified result settles a job.
    /// @param jobId The job.
    /// @param node The node credited.
    /// @param outputHash keccak256 of the output.
    /// @param output The output.
    /// @param nodeFee Credited to the node.
    /// @param royalty Credited to the model.
    /// @param protocolFee Credited to the protocol.
    event JobSettled(
        JobId indexed jobId,
        address indexed node,
        bytes32 outputHash,
        bytes output,
        uint256 nodeFee,
        uint256 royalty,
        uint256 protocolFee
    );
    /// @notice Emitted after a contract requester's callback ran (not emitted for a requester without code).
    /// @param jobId The job.
    /// @param success Whether it returned without reverting (false: reverted or ran out of its gas).
    event CallbackExecuted(JobId indexed jobId, bool success);
    /// @notice Emitted when the requester asks to cancel an open job. The job stays open, and nodes can still claim or
    /// fulfil it, until `cancellableAt`; only then can `cancel` refund it.
    /// @param jobId The job.
    /// @param cancellableAt The earliest time `cancel` succeeds (now + `CANCEL_GRACE_PERIOD_SECONDS`).
    event CancelRequested(JobId indexed jobId, uint40 cancellableAt);
    /// @notice Emitted when the requester cancels an open job after its cancel grace period.
    /// @param jobId The job.
    /// @param refund Credited back to the requester's balance.
    event JobCancelled(JobId indexed jobId, uint256 refund);
    /// @notice Emitted when `submitBatch` leaves out a job that is no longer fulfillable (another transaction moved it:
    /// settled by another node, claimed, cancelled, expired; or its deadline passed). Its result is not settled and the
    /// rest of the batch is; the job keeps its state.
    /// @param jobId The job left out.
    /// @param node The submitting node.
    /// @param status The job's status when the batch ran.
    event ResultSkipped(JobId indexed jobId, address indexed node, JobStatus status);
    /// @notice Emitted when an unserved job passes its final deadline.
    /// @param jobId The job.
    /// @param refund Credited back to the requester's balance.
    event JobExpired(JobId indexed jobId, uint256 refund);
    /// @notice Emitted when a claimer missed its delivery deadline: it is slashed and the job is open again.
    /// @param jobId The job.
    /// @param node The node that missed.
    /// @param slashed Collateral slashed (part to the requester, the rest to the treasury, in the staking contract).
    event DeliveryMissed(JobId indexed jobId, address indexed node, uint256 slashed);
    /// @notice Emitted when a model's owner withdraws its royalties.
    /// @param modelId The model.
    /// @param owner The model's owner.
    /// @param to The receiver.
    /// @param amount Amount.
    event RoyaltiesWithdrawn(uint256 indexed modelId, address indexed owner, address to, uint256 amount);
    /// @notice Emitted when protocol fees are sent to the treasury.
    /// @param treasury The treasury.
    /// @param amount Amount.
    event ProtocolFeesCollected(address indexed treasury, uint256 amount);
    /// @notice Emitted when governance changes the protocol fee.
    /// @param feeBps New fee.
    event ProtocolFeeSet(uint16 feeBps);
    /// @notice Emitted when governance changes the collateral rate.
    /// @param collateralPerPaymentBps New rate.
    event CollateralRateSet(uint32 collateralPerPaymentBps);
    /// @notice Emitted when a node proposes an optimistic result (it settles after the window unless challenged).
    /// @param jobId The job.
    /// @param node The proposer (the claimer).
    /// @param outputHash keccak256 of the output.
    /// @param output The output.
    /// @param challengeEnds End of the challenge window.
    event ResultProposed(
        JobId indexed jobId,
        address indexed node,
        bytes32 outputHash,
        bytes output,
        uint40 challengeEnds
    );
    /// @notice Emitted when a proposal is challenged (the dispute itself lives in the dispute manager).
    /// @param jobId The job.
    /// @param challenger The challenger.
    event JobDisputed(JobId indexed jobId, address indexed challenger);
    /// @notice Emitted when a disputed job ends without settlement: the requester is refunded.
    /// @param jobId The job.
    /// @param refund Credited back to the requester's balance.
    /// @param ruling `NodeWrong` (the node was slashed) or `Draw`.
    /// @param slashed Collateral slashed (zero for a draw).
    event JobRefunded(JobId indexed jobId, uint256 refund, Ruling ruling, uint256 slashed);
    /// @notice Emitted once, when the deployer binds the dispute manager.
    /// @param disputeManager The dispute manager.
    event DisputeManagerBound(address disputeManager);
    /// @notice Emitted when governance changes the challenge window of later optimistic requests.
    /// @param challengeWindow New window in seconds.
    event ChallengeWindowSet(uint40 challengeWindow);
    /// @notice Emitted when governance pauses or unpauses new requests.
    /// @param paused New state.
    event PausedSet(bool paused);

    /// @notice A zero address was given.
    error ZeroAddress();
    /// @notice A zero amount was given.
    error ZeroAmount();
    /// @notice The amount does not fit the bookkeeping.
    error AmountTooLarge(uint256 amount);
    /// @notice The account holds less than needed.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice The token moved a different amount than asked (fee-on-transfer tokens are not supported).
    error TransferAmountMismatch(uint256 expected, uint256 received);
    /// @notice New requests are paused.
    error RequestsPaused();
    /// @notice The version is deprecated.
    error VersionDeprecated(uint64 versionId);
    /// @notice The version does not support the mode, or no verifier is configured for it.
    error ModeNotSupported(uint64 versionId, uint8 mode);
    /// @notice The payment does not cover the royalty and the protocol fee.
    error PaymentTooLow(uint256 payment, uint256 minimum);
    /// @notice The final deadline is in the past, too far away, or leaves no room for one delivery window.
    error InvalidExpiry(uint40 expiresAt, uint256 earliest, uint256 latest);
    /// @notice The delivery window is outside its bounds.
    error InvalidDeliveryWindow(uint40 deliveryWindow, uint40 min, uint40 max);
    /// @notice The callback gas limit is above `MAX_CALLBACK_GAS`.
    error CallbackGasTooHigh(uint32 callbackGasLimit, uint32 max);
    /// @notice No job with this id.
    error UnknownJob(JobId jobId);
    /// @notice The job (or claim) passed does not match the one the escrow holds.
    error JobMismatch(JobId jobId);
    /// @notice The job is not in the status the action needs.
    error InvalidJobStatus(JobId jobId, JobStatus status, JobStatus expected);
    /// @notice The request's final deadline has passed.
    error RequestExpired(JobId jobId, uint40 expiresAt);
    /// @notice The request's final deadline has not passed yet.
    error RequestNotExpired(JobId jobId, uint40 expiresAt);
    /// @notice The job is reserved for another node.
    error JobReservedForNode(JobId jobId, address node, address caller);
    /// @notice The node is not registered.
    error NodeNotRegistered(address node);
    /// @notice The node's active stake is below the minimum.
    error NodeStakeBelowMinimum(address node, uint256 staked, uint256 minStake);
    /// @notice The node does not serve this mode.
    error NodeLacksCapability(address node, uint8 mode);
    /// @notice The node's free stake cannot cover the collateral.
    error InsufficientFreeStake(address node, uint256 free, uint256 needed);
    /// @notice The caller is not the job's claimer.
    error NotClaimer(JobId jobId, address caller, address claimer);
    /// @notice The caller is not the job's requester.
    error NotRequester(JobId jobId, address caller);
    /// @notice `cancel` of a job whose cancel was never requested (`requestCancel` first).
    error CancelNotRequested(JobId jobId);
    /// @notice `cancel` before the end of the job's cancel grace period.
    error CancelGracePeriod(JobId jobId, uint40 cancellableAt);
    /// @notice `requestCancel` of a job whose cancel was already requested.
    error CancelAlreadyRequested(JobId jobId, uint40 cancellableAt);
    /// @notice The delivery deadline has passed.
    error DeliveryDeadlinePassed(JobId jobId, uint40 deliverBy);
    /// @notice The delivery deadline has not passed yet.
    error DeliveryDeadlineNotPassed(JobId jobId, uint40 deliverBy);
    /// @notice The mode is not verified at submission (optimistic results are proposed, not fulfilled directly).
    error ModeNotVerifiedAtSubmission(JobId jobId, uint8 mode);
    /// @notice The verifier did not accept the result.
    error ResultRejected(JobId jobId);
    /// @notice Not enough gas was sent to give the callback its full gas limit.
    error InsufficientGasForCallback(JobId jobId, uint256 gasLeft, uint256 needed);
    /// @notice The caller does not own the model.
    error NotModelOwner(uint256 modelId, address caller);
    /// @notice Nothing to withdraw or collect.
    error NothingToWithdraw();
    /// @notice A batch is empty or its arrays differ in length.
    error InvalidBatch();
    /// @notice Only the dispute manager may do this.
    error NotDisputeManager(address caller);
    /// @notice The dispute manager is already bound, or the caller is not the deployer.
    error BindingNotAllowed(address caller);
    /// @notice The job is not in optimistic mode.
    error ModeNotOptimistic(JobId jobId, uint8 mode);
    /// @notice The challenge window is still open.
    error ChallengeWindowOpen(JobId jobId, uint40 challengeEnds);
    /// @notice The challenge window has closed.
    error ChallengeWindowClosed(JobId jobId, uint40 challengeEnds);
    /// @notice The output given does not hash to the proposal's output hash.
    error OutputMismatch(JobId jobId, bytes32 outputHash, bytes32 expected);
    /// @notice The challenge window is outside its hard bounds.
    error ChallengeWindowOutOfBounds(uint40 challengeWindow, uint40 min, uint40 max);
    /// @notice The protocol fee is above the hard cap.
    error FeeTooHigh(uint16 feeBps, uint16 max);
    /// @notice The collateral rate is outside its hard bounds.
    error CollateralRateOutOfBounds(uint32 collateralPerPaymentBps, uint32 min, uint32 max);

    /// @notice The payment token (jobs, balances, royalties, fees and dispute bonds).
    /// @return The ERC-20 payment token, set at deployment.
    function paymentToken() external view returns (IERC20);
    /// @notice The model registry.
    /// @return The registry versions and model owners are read from, set at deployment.
    function registry() external view returns (IModelRegistry);
    /// @notice The staking contract.
    /// @return The staking contract nodes are checked against and slashed in, set at deployment.
    function staking() external view returns (INodeStaking);
    /// @notice Where collected protocol fees go.
    /// @return The treasury address, set at deployment.
    function treasury() external view returns (address);
    /// @notice The verifier of a mode (zero if the deployment does not support it).
    /// @param mode A verification mode (`MODE_TEE`, `MODE_ZK`, `MODE_OPTIMISTIC`).
    /// @return The TEE or ZK verifier set at deployment; zero for `MODE_OPTIMISTIC` (verified by disputes, not at
    /// submission) and for any other value.
    function verifierOf(uint8 mode) external view returns (IResultVerifier);

    /// @notice Credits `amount` to `account`, pulled from the caller (anyone can fund any account).
    /// @dev Reverts with `ZeroAddress`, `ZeroAmount`, `AmountTooLarge` (balance above 2^128 - 1) or
    /// `TransferAmountMismatch` (the token moved another amount, e.g. a fee-on-transfer token).
    /// @param account The account credited.
    /// @param amount Payment-token units, pulled with `transferFrom` (the caller must have approved the escrow).
    function deposit(address account, uint256 amount) external;
    /// @notice Withdraws from the caller's balance. Never paused.
    /// @dev Reverts with `ZeroAddress`, `ZeroAmount` or `InsufficientBalance`.
    /// @param amount Payment-token units to withdraw.
    /// @param to The receiver of the tokens.
    function withdraw(uint256 amount, address to) external;
    /// @notice Requests a job paid from the caller's balance. The caller is the requester (and the callback target).
    /// @dev Reverts with `RequestsPaused`, `UnknownVersion` (registry), `VersionDeprecated`, `ModeNotSupported`,
    /// `PaymentTooLow`, `InvalidDeliveryWindow`, `InvalidExpiry`, `CallbackGasTooHigh`, `AmountTooLarge` (collateral
    /// above 2^96 - 1) or `InsufficientBalance`. Emits `JobRequested` with the full `Job` to pass back later.
    /// @param params The version, mode, node, payment (payment-token units), deadlines, callback gas and input.
    /// @return jobId The new job's id: the caller's address and its request nonce (see `nextJobId`).
    function requestInference(RequestParams calldata params) external returns (JobId jobId);
    /// @notice Requests a job paid with `transferFrom` (allowance given beforehand).
    /// @dev Same checks as `requestInference` except the balance; reverts with `TransferAmountMismatch` if the escrow
    /// does not receive exactly `params.payment`.
    /// @param params The request; `params.payment` is pulled from the caller.
    /// @return jobId The new job's id.
    function requestInferenceWithTransfer(RequestParams calldata params) external returns (JobId jobId);
    /// @notice Requests a job paid with an EIP-2612 permit and `transferFrom`, in one transaction.
    /// @dev A failing permit (e.g. already used by a front-runner) is ignored: the transfer then needs the allowance.
    /// @param params The request; `params.payment` is pulled from the caller.
    /// @param permit The caller's permit for the escrow to spend exactly `params.payment`.
    /// @return jobId The new job's id.
    function requestInferenceWithPermit(
        RequestParams calldata params,
        Permit calldata permit
    ) external returns (JobId jobId);
    /// @notice Claims an open job, locking `job.collateral` of the caller's free stake until the job ends. The
    /// delivery deadline is now + `job.deliveryWindow`, capped at `job.expiresAt`.
    /// @dev The caller must be a registered node with at least `minStake` active stake and the job's mode in its
    /// capabilities. Reverts with `UnknownJob`, `InvalidJobStatus`, `JobMismatch`, `RequestExpired`,
    /// `JobReservedForNode`, `NodeNotRegistered`, `NodeStakeBelowMinimum`, `NodeLacksCapability` or
    /// `InsufficientFreeStake` (active + thawing stake minus collateral already locked is below `job.collateral`).
    /// @param job The job exactly as emitted in `JobRequested`.
    function claim(Job calldata job) external;
    /// @notice Submits a result for a job claimed by the caller, or (modes verified at submission) fulfils an open job
    /// directly (`claim` all zero). Verified and settled in the same call.
    /// @dev A direct fulfil locks no collateral but still needs an active node with the mode's capability. Reverts with
    /// the `claim` checks, `NotClaimer`, `DeliveryDeadlinePassed`, `ModeNotVerifiedAtSubmission` (optimistic jobs),
    /// `ResultRejected`, the verifier's own error, or `InsufficientGasForCallback` (the transaction's gas cannot give
    /// the callback its full `callbackGasLimit`).
    /// @param job The job exactly as emitted in `JobRequested`.
    /// @param claim The claim as emitted in `JobClaimed` (`node`, `deliverBy`), or all zero for a direct fulfil.
    /// @param output The output bytes (ZK: `abi.encode(int256[])`), delivered to the callback and emitted.
    /// @param proof TEE: the enclave key's EIP-712 signature of the result; ZK: `abi.encode(a, b, c)`, a Groth16
    /// proof.
    function submitResult(Job calldata job, Claim calldata claim, bytes calldata output, bytes calldata proof) external;
    /// @notice Submits many results of the caller with one proof (TEE: one enclave signature), all of one mode. A job
    /// listed twice reverts with `InvalidJobStatus`. A job that another transaction made unfulfillable (its status is
    /// no longer `Open` for a direct fulfil or `Claimed` for a claimed job, or its request or delivery deadline has
    /// passed) is left out with `ResultSkipped` instead of reverting the batch: no third party (a requester's cancel,
    /// another node's fulfil or claim) can revert the other jobs' settlement.
    /// @dev The proof still covers every listed result (the signature is over all of them). Reverts with
    /// `InvalidBatch` (empty, arrays of different lengths, mixed modes), `UnknownJob`, `JobMismatch`, `NotClaimer`,
    /// `JobReservedForNode`, the node checks, or the verifier's error (the ZK verifier refuses batches): all are the
    /// submitter's own mistakes. Callbacks run after every job settled.
    /// @param jobs The jobs, each exactly as emitted in `JobRequested`.
    /// @param claims Each job's claim, or all zero for a direct fulfil.
    /// @param outputs Each job's output.
    /// @param proof One proof over all results (TEE: an EIP-712 `InferenceBatch` signature of one enclave key).
    function submitBatch(
        Job[] calldata jobs,
        Claim[] calldata claims,
        bytes[] calldata outputs,
        bytes calldata proof
    ) external;
    /// @notice Starts the cancel of an open job (requester only). The job stays open for
    /// `CANCEL_GRACE_PERIOD_SECONDS`: a node may still claim or fulfil it, so a result already on its way (in the
    /// mempool) is paid, and the requester cannot take a result and its refund both. Afterwards `cancel` refunds it.
    /// @dev Never paused. Reverts with `UnknownJob`, `InvalidJobStatus`, `JobMismatch`, `NotRequester` or
    /// `CancelAlreadyRequested`. A job reopened after a missed deadline keeps its request (and can be cancelled at once
    /// if the grace period has passed): nodes should not fulfil a job whose `cancellableAt` is near or past.
    /// @param job The job exactly as emitted in `JobRequested`.
    function requestCancel(Job calldata job) external;
    /// @notice Cancels an open job whose cancel grace period has passed (requester only), refunding its payment to the
    /// requester's balance. A claimed job cannot be cancelled.
    /// @dev Never paused. Reverts with `UnknownJob`, `InvalidJobStatus`, `JobMismatch`, `NotRequester`,
    /// `CancelNotRequested` or `CancelGracePeriod`.
    /// @param job The job exactly as emitted in `JobRequested`.
    function cancel(Job calldata job) external;
    /// @notice Expires an open job past its final deadline, refunding the requester (anyone can call).
    /// @dev Reverts with `UnknownJob`, `InvalidJobStatus`, `JobMismatch` or `RequestNotExpired`.
    /// @param job The job exactly as emitted in `JobRequested`.
    function expire(Job calldata job) external;
    /// @notice Slashes a claimer that missed its delivery deadline and reopens the job (or expires it, past the final
    /// deadline). Anyone can call.
    /// @dev The whole `job.collateral` is slashed: `MISSED_DEADLINE_REQUESTER_SHARE_BPS` (50 %) credited to the
    /// requester in the staking contract, the rest to the treasury. Reverts with `UnknownJob`, `InvalidJobStatus`
    /// (only a `Claimed` job: a proposal ends the delivery obligation), `JobMismatch` or `DeliveryDeadlineNotPassed`.
    /// @param job The job exactly as emitted in `JobRequested`.
    /// @param claim The claim as emitted in `JobClaimed`.
    function reportMissedDeadline(Job calldata job, Claim calldata claim) external;
    /// @notice Proposes an optimistic result for a job the caller claimed (claim first: `claim`, then this). Settles
    /// after the job's challenge window.
    /// @dev Claim first binds the proposal to its author: the output is only revealed once the job is the caller's, so
    /// another node cannot copy a pending proposal, and the requester cannot cancel a claimed job. The challenge
    /// window ends at now + `job.challengeWindow`. Reverts with `ModeNotOptimistic`, `UnknownJob`,
    /// `InvalidJobStatus` (an open job: claim it first), `JobMismatch`, `NotClaimer` or `DeliveryDeadlinePassed`.
    /// @param job The job exactly as emitted in `JobRequested`.
    /// @param claim The caller's claim as emitted in `JobClaimed`.
    /// @param output The proposed output (only its hash is stored; the bytes are emitted in `ResultProposed`).
    function proposeResult(Job calldata job, Claim calldata claim, bytes calldata output) external;
    /// @notice Settles an unchallenged proposal once its window has passed (anyone can call; `output` must hash to the
    /// proposal's output hash and is delivered to a contract requester's callback).
    /// @dev Reverts with `UnknownJob`, `InvalidJobStatus` (e.g. a disputed job), `JobMismatch`, `ChallengeWindowOpen`,
    /// `OutputMismatch` or `InsufficientGasForCallback`.
    /// @param job The job exactly as emitted in `JobRequested`.
    /// @param claim The claim as emitted in `JobClaimed` (claim-and-propose emits it too).
    /// @param proposal The proposal as emitted in `ResultProposed` (output hash, end of the challenge window).
    /// @param output The proposed output bytes.
    function finalize(
        Job calldata job,
        Claim calldata claim,
        Proposal calldata proposal,
        bytes calldata output
    ) external;
    /// @notice `finalize` for many jobs in one transaction. Any job that cannot finalize reverts the whole batch.
    /// @dev Reverts with `InvalidBatch` (empty or arrays of different lengths) or any `finalize` error.
    /// @param jobs The jobs.
    /// @param claims Their claims.
    /// @param proposals Their proposals.
    /// @param outputs Their proposed outputs.
    function finalizeBatch(
        Job[] calldata jobs,
        Claim[] calldata claims,
        Proposal[] calldata proposals,
        bytes[] calldata outputs
    ) external;
    /// @notice Marks a proposal disputed, inside its window (dispute manager only).
    /// @dev Reverts with `NotDisputeManager`, `UnknownJob`, `InvalidJobStatus`, `JobMismatch` or
    /// `ChallengeWindowClosed`.
    /// @param job The job.
    /// @param claim Its claim.
    /// @param proposal Its proposal.
    /// @param challenger The challenger (emitted in `JobDisputed`).
    function markDisputed(
        Job calldata job,
        Claim calldata claim,
        Proposal calldata proposal,
        address challenger
    ) external;
    /// @notice Ends a dispute (dispute manager only): `NodeRight` settles with `output`; `NodeWrong` slashes the job's
    /// collateral (`challengerRewardBps` of it to `challenger`) and refunds the requester; `Draw` refunds only.
    /// @dev Reverts with `NotDisputeManager`, `UnknownJob`, `InvalidJobStatus` (not `Disputed`), `JobMismatch`,
    /// `OutputMismatch` (`NodeRight` only) or `InsufficientGasForCallback`.
    /// @param job The job.
    /// @param claim Its claim.
    /// @param proposal Its proposal.
    /// @param ruling How the dispute ended.
    /// @param challenger Beneficiary of the slash reward (`NodeWrong`).
    /// @param challengerRewardBps The challenger's share of the slash, in basis points (snapshotted in the dispute).
    /// @param output The proposed output (`NodeRight` only; must hash to `proposal.outputHash`).
    function resolveDispute(
        Job calldata job,
        Claim calldata claim,
        Proposal calldata proposal,
        Ruling ruling,
        address challenger,
        uint16 challengerRewardBps,
        bytes calldata output
    ) external;
    /// @notice Slashes up to `amount` of a node's free stake (stake not backing any locked collateral) for TEE
    /// equivocation, `rewardBps` of it to `reporter` (dispute manager only); the staking contract records the unpaid
    /// rest as the node's equivocation debt (see `INodeStaking.slashForEquivocation`). Returns what was slashed now.
    /// @dev Reverts with `NotDisputeManager`.
    /// @param node The node whose enclave key equivocated.
    /// @param amount The full penalty, in staking-token units.
    /// @param reporter Who reported the equivocation (credited `rewardBps` of the slash in the staking contract).
    /// @param rewardBps The reporter's share, in basis points.
    /// @return slashed What was slashed now: the smaller of `amount` and the node's free stake (the rest becomes debt).
    function slashForEquivocation(
        address node,
        uint256 amount,
        address reporter,
        uint16 rewardBps
    ) external returns (uint256 slashed);
    /// @notice Whether `proof` proves `output` for a disputed job with the version's ZK verifier, under this escrow's
    /// job tag for the proposing node. Reverts with the verifier's error when the proof is invalid.
    /// @dev Also reverts with `UnknownJob`, `InvalidJobStatus` (not `Disputed`), `JobMismatch` or `ModeNotSupported`
    /// (no ZK verifier in this deployment).
    /// @param job The disputed job.
    /// @param claim Its claim (the proof must be bound to `claim.node`).
    /// @param proposal Its proposal.
    /// @param output The output the proof is for (the job's true output; it may differ from the proposal).
    /// @param proof `abi.encode(a, b, c)` of a Groth16 proof.
    /// @return True if the proof is valid (it reverts otherwise).
    function verifyDisputeProof(
        Job calldata job,
        Claim calldata claim,
        Proposal calldata proposal,
        bytes calldata output,
        bytes calldata proof
    ) external view returns (bool);
    /// @notice Binds the dispute manager, once, by the deployer.
    /// @dev Reverts with `BindingNotAllowed` (caller not the deployer, or already bound) or `ZeroAddress`.
    /// @param disputeManager The dispute manager.
    function bindDisputeManager(address disputeManager) external;
    /// @notice The dispute manager (zero before binding).
    /// @return The bound dispute manager; optimistic requests are refused while it is zero.
    function disputeManager() external view returns (address);
    /// @notice Sets the challenge window of later optimistic requests (governance), within hard bounds.
    /// @dev Owner only. Reverts with `ChallengeWindowOutOfBounds` outside [`MIN_CHALLENGE_WINDOW_SECONDS`,
    /// `MAX_CHALLENGE_WINDOW_SECONDS`] (1 minute, 3 days). Open jobs keep the window they were requested with.
    /// @param challengeWindow The new window, in seconds.
    function setChallengeWindow(uint40 challengeWindow) external;
    /// @notice Withdraws a model's royalties to `to` (the model token's owner only).
    /// @dev Reverts with `ZeroAddress`, `NotModelOwner` or `NothingToWithdraw`.
    /// @param modelId The model (ERC-721 token id in the registry).
    /// @param to The receiver of the payment tokens.
    function withdrawRoyalties(uint256 modelId, address to) external;
    /// @notice Sends the protocol fees accrued by `modelIds` to the treasury (anyone can call).
    /// @dev Reverts with `NothingToWithdraw` if they accrued nothing. A model listed twice is counted once.
    /// @param modelIds The models whose accrued protocol fees to collect.
    function collectProtocolFees(uint256[] calldata modelIds) external;

    /// @notice Sets the protocol fee for later requests (governance), at most `MAX_PROTOCOL_FEE_BPS`.
    /// @dev Owner only. Reverts with `FeeTooHigh` above `MAX_PROTOCOL_FEE_BPS` (10 %).
    /// @param feeBps The new fee, in basis points of a job's payment.
    function setProtocolFee(uint16 feeBps) external;
    /// @notice Sets the collateral rate for later requests (governance), within hard bounds.
    /// @dev Owner only. Reverts with `CollateralRateOutOfBounds` outside [`MIN_COLLATERAL_BPS`, `MAX_COLLATERAL_BPS`]
    /// (0 to 100,000, i.e. up to 10x the payment).
    /// @param collateralPerPaymentBps Staking-token collateral per payment-token unit of payment, in basis points.
    function setCollateralRate(uint32 collateralPerPaymentBps) external;
    /// @notice Pauses or resumes new requests (governance). Claims, results, refunds and withdrawals never pause.
    /// @dev Owner only.
    /// @param paused True to refuse new requests, false to accept them again.
    function setPaused(bool paused) external;

    /// @notice The governance parameters.
    /// @return The current fee, collateral rate, pause flag and challenge window.
    function config() external view returns (Config memory);
    /// @notice An account's record.
    /// @param account The account (requester, node, challenger or any depositor).
    /// @return Its balance (payment token), locked collateral (staking token) and request nonce.
    function accountOf(address account) external view returns (Account memory);
    /// @notice An account's withdrawable balance.
    /// @param account The account.
    /// @return Its balance in payment-token units.
    function balanceOf(address account) external view returns (uint256);
    /// @notice A model's accrued royalties and protocol fees.
    /// @param modelId The model.
    /// @return Its accrued royalties and protocol fees, in payment-token units, not yet withdrawn or collected.
    function accrualOf(uint256 modelId) external view returns (ModelAccrual memory);
    /// @notice A job's status.
    /// @param jobId The job.
    /// @return Its status (`None` for an unknown id).
    function jobStatus(JobId jobId) external view returns (JobStatus);
    /// @notice The stored job commitment (hash with the status in the low byte).
    /// @param jobId The job.
    /// @return `keccak256(abi.encode(job, claim[, proposal]))` with its low byte replaced by the status; zero if
    /// unknown.
    function jobCommitment(JobId jobId) external view returns (bytes32);
    /// @notice When a requested cancel of a job can be completed with `cancel` (0: no cancel requested).
    /// @param jobId The job.
    /// @return The end of the job's cancel grace period (unix seconds), or 0.
    function cancellableAt(JobId jobId) external view returns (uint40);
    /// @notice The id of a job.
    /// @param job The job.
    /// @return Its id, from `job.requester` and `job.nonce`.
    function jobIdOf(Job calldata job) external pure returns (JobId);
    /// @notice The next job id `requester` will get.
    /// @param requester The requester.
    /// @return The id of its next request.
    function nextJobId(address requester) external view returns (JobId);
}
