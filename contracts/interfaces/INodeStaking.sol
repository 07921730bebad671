// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title ICollateralLedger
/// @author Veritas contributors
/// @notice What the staking contract asks the escrow: how much of a node's stake is locked as job collateral.
/// @dev Locks are recorded by the escrow in the node's account slot (the same slot its earnings are credited to), so a
/// claim and a settlement each write one slot instead of calling the staking contract. See docs/design.md.
interface ICollateralLedger {
    /// @notice Staking-token collateral currently locked by `node`'s claimed or unresolved jobs.
    /// @param node The node.
    /// @return The collateral locked, in staking-token units.
    function lockedCollateral(address node) external view returns (uint256);
}

/// @title INodeStaking
/// @author Veritas contributors
/// @notice Node registration and stake in the staking token. Thawing stake stays slashable until withdrawn, and no
/// withdrawal can leave less stake than the collateral the escrow has locked for the node.
interface INodeStaking {
    /// @notice A node's record, packed in one slot.
    /// @param staked Active stake (staking token).
    /// @param thawing Stake requested for withdrawal, still slashable until withdrawn.
    /// @param thawEnd When the thawing stake can be withdrawn.
    /// @param capabilities Bit mask of verification modes the node serves (`1 << MODE_*`).
    /// @param registered Whether the node is registered.
    struct Node {
        uint96 staked;
        uint96 thawing;
        uint40 thawEnd;
        uint16 capabilities;
        bool registered;
    }

    /// @notice What a node still owes for TEE equivocation: the part of the penalty its free stake (stake not backing
    /// locked collateral) could not cover when reported. It is taken from the node's stake as its locks are released.
    /// @param amount Staking tokens still owed.
    /// @param reporter Receives `rewardBps` of each collection (the first reporter, while a debt is outstanding).
    /// @param rewardBps The reporter's share of each collection, in basis points; the rest goes to the treasury.
    struct EquivocationDebt {
        uint96 amount;
        address reporter;
        uint16 rewardBps;
    }

    /// @notice Emitted when a node registers.
    /// @param node The node operator's address.
    /// @param endpoint Its endpoint URI.
    /// @param capabilities Its capability mask.
    event NodeRegistered(address indexed node, string endpoint, uint16 capabilities);
    /// @notice Emitted when a node changes its endpoint or capabilities.
    /// @param node The node.
    /// @param endpoint The new endpoint URI.
    /// @param capabilities The new capability mask.
    event NodeUpdated(address indexed node, string endpoint, uint16 capabilities);
    /// @notice Emitted when stake is added.
    /// @param node The node credited.
    /// @param from Who paid the tokens.
    /// @param amount Tokens added.
    event Staked(address indexed node, address indexed from, uint256 amount);
    /// @notice Emitted when a node asks to unstake: the amount thaws until `thawEnd`.
    /// @param node The node.
    /// @param amount The amount added to thawing.
    /// @param totalThawing The node's total thawing stake after the request.
    /// @param thawEnd When the whole thawing amount becomes withdrawable.
    event UnstakeRequested(address indexed node, uint256 amount, uint256 totalThawing, uint40 thawEnd);
    /// @notice Emitted when thawed stake is withdrawn.
    /// @param node The node.
    /// @param to The receiver.
    /// @param amount The amount withdrawn.
    event StakeWithdrawn(address indexed node, address indexed to, uint256 amount);
    /// @notice Emitted when a node is slashed.
    /// @param node The node.
    /// @param amount Total slashed.
    /// @param beneficiary Who receives `reward` (requester or challenger).
    /// @param reward The part credited to `beneficiary`.
    /// @param toTreasury The rest, credited to the treasury.
    event Slashed(
        address indexed node,
        uint256 amount,
        address indexed beneficiary,
        uint256 reward,
        uint256 toTreasury
    );
    /// @notice Emitted when a slash reward (or the treasury's share) is claimed.
    /// @param account The account credited.
    /// @param to The receiver.
    /// @param amount The amount.
    event RewardsClaimed(address indexed account, address indexed to, uint256 amount);
    /// @notice Emitted when governance changes the unbonding period (applies to later unstake requests only).
    /// @param unbondingPeriod The new period in seconds.
    event UnbondingPeriodSet(uint40 unbondingPeriod);
    /// @notice Emitted when an equivocation penalty exceeds the node's free stake: the rest becomes a debt.
    /// @param node The node.
    /// @param owed The part of this penalty that could not be slashed now.
    /// @param totalDebt The node's whole outstanding debt after this one.
    /// @param reporter Who receives the reward share of the debt's collections.
    event EquivocationDebtRecorded(address indexed node, uint256 owed, uint256 totalDebt, address indexed reporter);
    /// @notice Emitted when part or all of a node's equivocation debt is slashed from stake released by its locks.
    /// @param node The node.
    /// @param amount The amount slashed (also reported by `Slashed`).
    /// @param remaining The debt still outstanding.
    event EquivocationDebtCollected(address indexed node, uint256 amount, uint256 remaining);
    /// @notice Emitted once, when the deployer binds the escrow (the only slasher and collateral ledger).
    /// @param escrow The escrow.
    event EscrowBound(address escrow);

    /// @notice The node is already registered.
    error NodeAlreadyRegistered(address node);
    /// @notice The node is not registered.
    error NodeNotRegistered(address node);
    /// @notice A zero amount was given.
    error ZeroAmount();
    /// @notice A zero address was given.
    error ZeroAddress();
    /// @notice The amount does not fit the stake bookkeeping (uint96).
    error AmountTooLarge(uint256 amount);
    /// @notice Not enough active stake to unstake `needed`.
    error InsufficientStake(address node, uint256 staked, uint256 needed);
    /// @notice Nothing is thawing, or the thawing period has not ended.
    error StakeStillThawing(address node, uint40 thawEnd);
    /// @notice Nothing to withdraw.
    error NothingThawing(address node);
    /// @notice Withdrawing would leave less stake than the collateral locked by open jobs.
    error CollateralLocked(address node, uint256 remaining, uint256 locked);
    /// @notice Only the escrow may do this.
    error NotEscrow(address caller);
    /// @notice The escrow is already bound, or the caller is not the deployer.
    error BindingNotAllowed(address caller);
    /// @notice The capability mask is empty or names an unknown mode.
    error InvalidCapabilities(uint16 capabilities);
    /// @notice The unbonding period is outside the hard bounds.
    error UnbondingPeriodOutOfBounds(uint40 unbondingPeriod, uint40 min, uint40 max);
    /// @notice Slash amount larger than the node's stake.
    error SlashExceedsStake(address node, uint256 amount, uint256 stake);
    /// @notice A slash reward share above 100 %.
    error RewardTooHigh(uint256 rewardBps);
    /// @notice Nothing to claim.
    error NothingToClaim(address account);
    /// @notice The node owes an equivocation debt that its free stake cannot cover yet: no withdrawal, no new claim.
    /// @param node The node.
    /// @param debt The outstanding debt.
    error EquivocationDebtOutstanding(address node, uint256 debt);
    /// @notice The node owes no equivocation debt.
    /// @param node The node.
    error NoEquivocationDebt(address node);
    /// @notice The token moved a different amount than asked (fee-on-transfer tokens are not supported).
    error TransferAmountMismatch(uint256 expected, uint256 received);

    /// @notice The staking token.
    /// @return The ERC-20 staked, slashed and paid out as slash rewards, set at deployment.
    function stakingToken() external view returns (IERC20);
    /// @notice Minimum active stake for a node to claim jobs (immutable).
    /// @return The minimum, in staking-token units.
    function minStake() external view returns (uint256);
    /// @notice Current unbonding period in seconds.
    /// @return The period later unstake requests thaw for.
    function unbondingPeriod() external view returns (uint40);
    /// @notice Receiver of the treasury's share of slashes.
    /// @return The treasury address, set at deployment.
    function treasury() external view returns (address);
    /// @notice The bound escrow (zero before binding).
    /// @return The escrow: the only slasher and the collateral ledger.
    function escrow() external view returns (address);

    /// @notice Registers the caller as a node.
    /// @dev Reverts with `NodeAlreadyRegistered` or `InvalidCapabilities`.
    /// @param endpoint The node's endpoint URI (stored, not checked).
    /// @param capabilities Bit mask of modes served (`1 << MODE_*`): non-empty, no bit 0, no bit above `MAX_MODE`.
    function registerNode(string calldata endpoint, uint16 capabilities) external;
    /// @notice Updates the caller's endpoint and capabilities.
    /// @dev Reverts with `NodeNotRegistered` or `InvalidCapabilities`. Jobs already claimed are not affected.
    /// @param endpoint The new endpoint URI.
    /// @param capabilities The new capability mask (same rules as `registerNode`).
    function updateNode(string calldata endpoint, uint16 capabilities) external;
    /// @notice Stakes `amount` for `node` (anyone can top up a registered node), pulled from the caller.
    /// @dev Reverts with `NodeNotRegistered`, `ZeroAmount`, `AmountTooLarge` (active + thawing above 2^96 - 1) or
    /// `TransferAmountMismatch` (fee-on-transfer tokens are not supported).
    /// @param node The registered node credited.
    /// @param amount Staking-token units, pulled with `transferFrom` (the caller must have approved this contract).
    function stake(address node, uint256 amount) external;
    /// @notice Stakes with an EIP-2612 permit of the staking token (the permit may have been used already).
    /// @dev A failing permit is ignored: the transfer then needs the allowance. Otherwise as `stake`.
    /// @param node The registered node credited.
    /// @param amount Staking-token units, pulled from the caller.
    /// @param deadline The permit's deadline.
    /// @param v The permit signature's `v`.
    /// @param r The permit signature's `r`.
    /// @param s The permit signature's `s`.
    function stakeWithPermit(address node, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;
    /// @notice Moves `amount` of the caller's active stake to thawing. Restarts the thaw timer for the whole thawing
    /// amount, never earlier than the current `thawEnd` (one request per node: nobody else can add to it, so there is
    /// no queue to grief).
    /// @dev Reverts with `NodeNotRegistered`, `ZeroAmount` or `InsufficientStake`. Thawing stake stays slashable and
    /// still counts towards collateral a claim can lock, but not towards `minStake`.
    /// @param amount Staking-token units to move from active to thawing.
    function requestUnstake(uint256 amount) external;
    /// @notice Withdraws the caller's thawed stake, as long as the remaining stake still covers its locked collateral.
    /// @dev All or nothing: the whole thawing amount leaves, or none of it. Collects any equivocation debt first and
    /// reverts with `EquivocationDebtOutstanding` while some remains. Reverts with `ZeroAddress`, `NothingThawing`,
    /// `StakeStillThawing` or `CollateralLocked` (active stake below the escrow's locked collateral).
    /// @param to The receiver of the tokens.
    function withdrawStake(address to) external;
    /// @notice Slashes `amount` of `node`'s stake (active first, then thawing). `rewardBps` of it goes to `beneficiary`,
    /// the rest to the treasury, both as pull credits. Escrow only.
    /// @dev Reverts with `NotEscrow`, `ZeroAddress`, `RewardTooHigh` (above 10,000) or `SlashExceedsStake`.
    /// @param node The node slashed.
    /// @param amount Staking-token units, at most its active + thawing stake.
    /// @param beneficiary The requester (missed deadline), challenger (wrong result) or reporter (equivocation).
    /// @param rewardBps The beneficiary's share, in basis points.
    function slash(address node, uint256 amount, address beneficiary, uint256 rewardBps) external;
    /// @notice Slashes up to `amount` of `node`'s free stake (stake not backing locked collateral, which stays for its
    /// jobs) for TEE equivocation, `rewardBps` of it to `reporter`; the unpaid rest is recorded as an equivocation
    /// debt, collected as the node's locks are released. Escrow only. Returns what was slashed now.
    /// @param node The equivocating node.
    /// @param amount The full penalty.
    /// @param reporter Who reported the equivocation.
    /// @param rewardBps The reporter's share, in basis points.
    /// @return slashed The part of `amount` slashed now.
    function slashForEquivocation(
        address node,
        uint256 amount,
        address reporter,
        uint16 rewardBps
    ) external returns (uint256 slashed);
    /// @notice Slashes as much of `node`'s equivocation debt as its free stake covers (anyone may call; the reporter's
    /// share goes to the recorded reporter). `withdrawStake` does this first too. Returns the amount collected.
    /// @param node The indebted node.
    /// @return collected The amount slashed (zero while all of the node's stake backs locked collateral).
    function collectEquivocationDebt(address node) external returns (uint256 collected);
    /// @notice Withdraws the caller's slash rewards.
    /// @dev Reverts with `ZeroAddress` or `NothingToClaim`. The treasury claims its share the same way.
    /// @param to The receiver of the staking tokens.
    function claimRewards(address to) external;
    /// @notice Binds the escrow, once, by the deployer.
    /// @dev Reverts with `BindingNotAllowed` (caller not the deployer, or already bound) or `ZeroAddress`.
    /// @param escrow_ The escrow (slasher and collateral ledger).
    function bindEscrow(ICollateralLedger escrow_) external;
    /// @notice Sets the unbonding period, within hard bounds (governance).
    /// @dev Owner only. Reverts with `UnbondingPeriodOutOfBounds` outside [`MIN_UNBONDING_PERIOD_SECONDS`,
    /// `MAX_UNBONDING_PERIOD_SECONDS`] (11 days, 90 days). Stake already thawing keeps its `thawEnd`.
    /// @param unbondingPeriod_ The new period, in seconds.
    function setUnbondingPeriod(uint40 unbondingPeriod_) external;

    /// @notice A node's record.
    /// @param node The node.
    /// @return Its active and thawing stake, thaw end, capabilities and registration flag (all zero if unknown).
    function getNode(address node) external view returns (Node memory);
    /// @notice A node's endpoint URI.
    /// @param node The node.
    /// @return The endpoint it registered or last set (empty if unknown).
    function endpointOf(address node) external view returns (string memory);
    /// @notice Active plus thawing stake: everything that can still be slashed.
    /// @param node The node.
    /// @return Its active + thawing stake, in staking-token units.
    function totalStakeOf(address node) external view returns (uint256);
    /// @notice Whether the node is registered and has at least `minStake` active stake.
    /// @param node The node.
    /// @return True if it is registered and its active stake is at least `minStake`.
    function isActive(address node) external view returns (bool);
    /// @notice A node's outstanding equivocation debt (zero amount: none).
    /// @param node The node.
    /// @return Its debt record: amount owed, reporter and reporter share.
    function equivocationDebtOf(address node) external view returns (EquivocationDebt memory);
    /// @notice Reverts with `EquivocationDebtOutstanding` while `node` owes an equivocation debt (the escrow's check
    /// before it locks collateral for a new claim).
    /// @param node The node.
    function requireNoEquivocationDebt(address node) external view;
    /// @notice Unclaimed slash rewards of an account.
    /// @param account The account (a beneficiary of slashes, or the treasury).
    /// @return Its unclaimed rewards, in staking-token units.
    function rewardsOf(address account) external view returns (uint256);
}
