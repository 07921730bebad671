// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "./libraries/ReentrancyGuard.sol";
import {ICollateralLedger, INodeStaking} from "./interfaces/INodeStaking.sol";
import {BPS, MAX_MODE, MAX_UNBONDING_PERIOD_SECONDS, MIN_UNBONDING_PERIOD_SECONDS} from "./libraries/ConstantsLib.sol";

/// @title NodeStaking
/// @author Veritas contributors
/// @notice Holds node stake in the staking token. Governance (the owner, a timelock) can only move the unbonding
/// period within hard bounds; it can never move stake.
contract NodeStaking is INodeStaking, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @inheritdoc INodeStaking
    IERC20 public immutable stakingToken;
    /// @inheritdoc INodeStaking
    uint256 public immutable minStake;
    /// @inheritdoc INodeStaking
    address public immutable treasury;
    address private immutable _deployer;

    /// @inheritdoc INodeStaking
    address public escrow;
    /// @inheritdoc INodeStaking
    uint40 public unbondingPeriod;

    mapping(address node => Node) private _nodes;
    mapping(address node => string) private _endpoints;
    mapping(address account => uint256) private _rewards;
    mapping(address node => EquivocationDebt) private _debts;

    constructor(
        IERC20 stakingToken_,
        uint256 minStake_,
        uint40 unbondingPeriod_,
        address treasury_,
        address owner_
    ) Ownable(owner_) {
        require(address(stakingToken_) != address(0) && treasury_ != address(0), ZeroAddress());
        require(minStake_ != 0, ZeroAmount());
        _checkUnbondingPeriod(unbondingPeriod_);
        stakingToken = stakingToken_;
        minStake = minStake_;
        treasury = treasury_;
        unbondingPeriod = unbondingPeriod_;
        _deployer = msg.sender;
        emit UnbondingPeriodSet(unbondingPeriod_);
    }

    /// @inheritdoc INodeStaking
    function bindEscrow(ICollateralLedger escrow_) external {
        require(msg.sender == _deployer && escrow == address(0), BindingNotAllowed(msg.sender));
        require(address(escrow_) != address(0), ZeroAddress());
        escrow = address(escrow_);
        emit EscrowBound(address(escrow_));
    }

    /// @inheritdoc INodeStaking
    function registerNode(string calldata endpoint, uint16 capabilities) external {
        Node storage n = _nodes[msg.sender];
        require(!n.registered, NodeAlreadyRegistered(msg.sender));
        _checkCapabilities(capabilities);
        n.registered = true;
        n.capabilities = capabilities;
        _endpoints[msg.sender] = endpoint;
        emit NodeRegistered(msg.sender, endpoint, capabilities);
    }

    /// @inheritdoc INodeStaking
    function updateNode(string calldata endpoint, uint16 capabilities) external {
        Node storage n = _registered(msg.sender);
        _checkCapabilities(capabilities);
        n.capabilities = capabilities;
        _endpoints[msg.sender] = endpoint;
        emit NodeUpdated(msg.sender, endpoint, capabilities);
    }

    /// @inheritdoc INodeStaking
    function stake(address node, uint256 amount) external nonReentrant {
        _stake(node, amount);
    }

    /// @inheritdoc INodeStaking
    function stakeWithPermit(
        address node,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        // A permit front-run by someone else only spends the nonce: the allowance is there either way, so a failed
        // permit is ignored on purpose (empty try and catch blocks) and `_stake` reverts if the allowance is missing.
        // solhint-disable-next-line no-empty-blocks
        try IERC20Permit(address(stakingToken)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _stake(node, amount);
    }

    /// @inheritdoc INodeStaking
    function requestUnstake(uint256 amount) external {
        Node storage n = _registered(msg.sender);
        require(amount != 0, ZeroAmount());
        require(n.staked >= amount, InsufficientStake(msg.sender, n.staked, amount));
        uint40 thawEnd = uint40(block.timestamp) + unbondingPeriod;
        // A later request (even after governance shortened the period) never brings earlier stake out sooner.
        if (thawEnd < n.thawEnd) thawEnd = n.thawEnd;
        // amount <= staked < 2^96, and staked + thawing never exceeds what was staked.
        n.staked -= uint96(amount);
        n.thawing += uint96(amount);
        n.thawEnd = thawEnd;
        emit UnstakeRequested(msg.sender, amount, n.thawing, thawEnd);
    }

    /// @inheritdoc INodeStaking
    function withdrawStake(address to) external nonReentrant {
        require(to != address(0), ZeroAddress());
        Node storage n = _nodes[msg.sender];
        require(n.thawing != 0, NothingThawing(msg.sender));
        require(block.timestamp >= n.thawEnd, StakeStillThawing(msg.sender, n.thawEnd));
        uint256 locked = _locked(msg.sender);
        EquivocationDebt storage d = _debts[msg.sender];
        if (d.amount != 0) {
            _collectDebt(msg.sender, d, locked);
            require(d.amount == 0, EquivocationDebtOutstanding(msg.sender, d.amount));
        }
        // The debt collection may have slashed some of it.
        uint256 amount = n.thawing;
        require(amount != 0, NothingThawing(msg.sender));
        require(n.staked >= locked, CollateralLocked(msg.sender, n.staked, locked));
        n.thawing = 0;
        emit StakeWithdrawn(msg.sender, to, amount);
        stakingToken.safeTransfer(to, amount);
    }

    /// @inheritdoc INodeStaking
    function slash(address node, uint256 amount, address beneficiary, uint256 rewardBps) external {
        require(msg.sender == escrow, NotEscrow(msg.sender));
        _slash(node, amount, beneficiary, rewardBps);
    }

    /// @inheritdoc INodeStaking
    function slashForEquivocation(
        address node,
        uint256 amount,
        address reporter,
        uint16 rewardBps
    ) external returns (uint256 slashed) {
        require(msg.sender == escrow, NotEscrow(msg.sender));
        // Only free stake now: the collateral of open jobs must stay slashable for those jobs.
        uint256 free = _freeStake(node, _locked(node));
        slashed = amount < free ? amount : free;
        uint256 owed = amount - slashed;
        if (owed != 0) {
            EquivocationDebt storage d = _debts[node];
            uint256 debt = d.amount;
            if (debt == 0) {
                d.reporter = reporter;
                d.rewardBps = rewardBps;
            }
            debt += owed;
            // Saturates: a debt this large exceeds any stake there can be and stays outstanding either way.
            if (debt > type(uint96).max) debt = type(uint96).max;
            d.amount = uint96(debt);
            emit EquivocationDebtRecorded(node, owed, debt, d.reporter);
        }
        if (slashed != 0) _slash(node, slashed, reporter, rewardBps);
    }

    /// @inheritdoc INodeStaking
    function collectEquivocationDebt(address node) external nonReentrant returns (uint256 collected) {
        EquivocationDebt storage d = _debts[node];
        require(d.amount != 0, NoEquivocationDebt(node));
        collected = _collectDebt(node, d, _locked(node));
    }

    /// @inheritdoc INodeStaking
    function claimRewards(address to) external nonReentrant {
        require(to != address(0), ZeroAddress());
        uint256 amount = _rewards[msg.sender];
        require(amount != 0, NothingToClaim(msg.sender));
        _rewards[msg.sender] = 0;
        emit RewardsClaimed(msg.sender, to, amount);
        stakingToken.safeTransfer(to, amount);
    }

    /// @inheritdoc INodeStaking
    function setUnbondingPeriod(uint40 unbondingPeriod_) external onlyOwner {
        _checkUnbondingPeriod(unbondingPeriod_);
        unbondingPeriod = unbondingPeriod_;
        emit UnbondingPeriodSet(unbondingPeriod_);
    }

    /// @inheritdoc INodeStaking
    function getNode(address node) external view returns (Node memory) {
        return _nodes[node];
    }

    /// @inheritdoc INodeStaking
    function endpointOf(address node) external view returns (string memory) {
        return _endpoints[node];
    }

    /// @inheritdoc INodeStaking
    function totalStakeOf(address node) external view returns (uint256) {
        Node storage n = _nodes[node];
        return uint256(n.staked) + n.thawing;
    }

    /// @inheritdoc INodeStaking
    function isActive(address node) external view returns (bool) {
        Node storage n = _nodes[node];
        return n.registered && n.staked >= minStake;
    }

    /// @inheritdoc INodeStaking
    function equivocationDebtOf(address node) external view returns (EquivocationDebt memory) {
        return _debts[node];
    }

    /// @inheritdoc INodeStaking
    function requireNoEquivocationDebt(address node) external view {
        uint256 debt = _debts[node].amount;
        require(debt == 0, EquivocationDebtOutstanding(node, debt));
    }

    /// @inheritdoc INodeStaking
    function rewardsOf(address account) external view returns (uint256) {
        return _rewards[account];
    }

    function _stake(address node, uint256 amount) private {
        Node storage n = _registered(node);
        require(amount != 0, ZeroAmount());
        require(amount <= type(uint96).max, AmountTooLarge(amount));
        uint256 total = uint256(n.staked) + n.thawing + amount;
        require(total <= type(uint96).max, AmountTooLarge(amount));
        n.staked += uint96(amount);
        emit Staked(node, msg.sender, amount);
        // Balance delta check: a fee-on-transfer staking token would break the 1:1 bookkeeping.
        uint256 before = stakingToken.balanceOf(address(this));
        stakingToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = stakingToken.balanceOf(address(this)) - before;
        require(received == amount, TransferAmountMismatch(amount, received));
    }

    /// @dev Slashes `amount` (active stake first, then thawing): `rewardBps` of it to `beneficiary`, the rest to the
    /// treasury, both as pull credits.
    function _slash(address node, uint256 amount, address beneficiary, uint256 rewardBps) private {
        require(beneficiary != address(0), ZeroAddress());
        require(rewardBps <= BPS, RewardTooHigh(rewardBps));
        Node storage n = _nodes[node];
        uint256 staked = n.staked;
        uint256 total = staked + n.thawing;
        require(amount <= total, SlashExceedsStake(node, amount, total));
        if (amount <= staked) {
            n.staked = uint96(staked - amount);
        } else {
            n.staked = 0;
            n.thawing = uint96(total - amount);
        }
        uint256 reward = (amount * rewardBps) / BPS;
        uint256 toTreasury = amount - reward;
        _rewards[beneficiary] += reward;
        _rewards[treasury] += toTreasury;
        emit Slashed(node, amount, beneficiary, reward, toTreasury);
    }

    /// @dev Slashes as much of the node's debt as its free stake covers; the record is cleared once paid.
    function _collectDebt(
        address node,
        EquivocationDebt storage d,
        uint256 locked
    ) private returns (uint256 collected) {
        uint256 debt = d.amount;
        uint256 free = _freeStake(node, locked);
        collected = debt < free ? debt : free;
        if (collected == 0) return 0;
        address reporter = d.reporter;
        uint16 rewardBps = d.rewardBps;
        uint256 remaining = debt - collected;
        if (remaining == 0) {
            delete _debts[node];
        } else {
            d.amount = uint96(remaining);
        }
        emit EquivocationDebtCollected(node, collected, remaining);
        _slash(node, collected, reporter, rewardBps);
    }

    /// @dev Stake (active plus thawing) not backing the node's locked collateral.
    function _freeStake(address node, uint256 locked) private view returns (uint256) {
        Node storage n = _nodes[node];
        uint256 total = uint256(n.staked) + n.thawing;
        return total > locked ? total - locked : 0;
    }

    /// @dev The node's collateral locked by the escrow (none before the escrow is bound).
    function _locked(address node) private view returns (uint256) {
        return escrow == address(0) ? 0 : ICollateralLedger(escrow).lockedCollateral(node);
    }

    function _registered(address node) private view returns (Node storage n) {
        n = _nodes[node];
        require(n.registered, NodeNotRegistered(node));
    }

    function _checkCapabilities(uint16 capabilities) private pure {
        require(
            capabilities != 0 && capabilities >> (MAX_MODE + 1) == 0 && capabilities & 1 == 0,
            InvalidCapabilities(capabilities)
        );
    }

    function _checkUnbondingPeriod(uint40 p) private pure {
        require(
            p >= MIN_UNBONDING_PERIOD_SECONDS && p <= MAX_UNBONDING_PERIOD_SECONDS,
            UnbondingPeriodOutOfBounds(p, MIN_UNBONDING_PERIOD_SECONDS, MAX_UNBONDING_PERIOD_SECONDS)
        );
    }
}
