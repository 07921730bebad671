// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";
import {IDisputeManager} from "../../contracts/interfaces/IDisputeManager.sol";
import {IInferenceEscrow} from "../../contracts/interfaces/IInferenceEscrow.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {INodeStaking} from "../../contracts/interfaces/INodeStaking.sol";
import {isTerminal} from "./JobStatuses.sol";
import {TeeSigning} from "./TeeSigning.sol";
import {IMockUSD, IModelRegistryNft, IVeritasToken} from "./Deployed.sol";

/// @notice What every invariant handler shares: the deployment it drives, its actors (requesters and nodes), a clock
/// that only moves forward, the ghost model of balances, stakes, locks, rewards and accruals, and the bookkeeping of
/// outcomes. Each action predicts whether the contracts must accept it; `_expect` records a contract that refuses an
/// action it should accept, or accepts one it should refuse, as a violation (the invariant tests assert there are
/// none). A handler never reverts.
abstract contract BaseHandler is CommonBase, StdCheats, StdUtils, TeeSigning {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MAX_JOBS = 48;
    uint256 internal constant MIN_STAKE = 1_000e18;
    /// @dev The requester's share of a missed-deadline slash (NodeStaking's reward to the beneficiary).
    uint256 internal constant REQUESTER_SHARE_BPS = 5_000;

    /// @notice The model of one requested job: the escrow's state of it (its parameters, claim, status, optimistic
    /// proposal and dispute) and what the handler did with it. Each handler uses the fields its actions reach.
    struct Entry {
        IInferenceEscrow.Job job;
        IInferenceEscrow.Claim claim;
        IInferenceEscrow.JobStatus status;
        IInferenceEscrow.Proposal proposal;
        IDisputeManager.Dispute dispute;
        /// @dev Whether the proposer proposed the "true" output (the arbitrator mostly rules accordingly).
        bool honest;
        /// @dev The proposed output.
        bytes output;
        /// @dev When a requested cancel can complete (0: none requested).
        uint40 cancellableAt;
    }

    /// @notice The contracts and roles a handler drives.
    struct Deployment {
        IInferenceEscrow escrow;
        INodeStaking staking;
        IModelRegistryNft registry;
        IMockUSD usd;
        IVeritasToken token;
        address gov;
        address treasury;
    }

    /// @notice The model of one node's stake record.
    struct NodeGhost {
        uint256 staked;
        uint256 thawing;
        uint40 thawEnd;
    }

    /// @dev A node's total stake and every account's slash rewards before a call that may slash.
    struct Measure {
        uint256 stake;
        uint256 rewards;
    }

    IInferenceEscrow public immutable escrow;
    INodeStaking public immutable staking;
    IModelRegistryNft public immutable registry;
    IMockUSD public immutable usd;
    IVeritasToken public immutable token;
    address public immutable gov;
    address public immutable treasury;
    uint40 public immutable unbonding;

    address[3] internal _requesters;
    address[3] internal _nodes;
    uint256[2] internal _models;
    /// @notice Every job the handler requested, in order.
    Entry[] internal _jobs;
    uint256 public clock;

    // Escrow parameters as the model knows them (snapshotted into jobs when they open).
    uint16 public ghostFeeBps;
    uint32 public ghostRate;
    uint40 public ghostChallengeWindow;
    bool public ghostPaused;

    mapping(address account => uint256) public ghostBalance;
    mapping(address node => uint256) public ghostLocked;
    mapping(address node => NodeGhost) public ghostNode;
    mapping(address account => uint256) public ghostRewards;
    mapping(uint256 modelId => uint256) public ghostRoyalties;
    mapping(uint256 modelId => uint256) public ghostFees;

    /// @notice Collateral the model expects slashes to have taken, and how it expects them to have been split.
    uint256 public ghostSlashed;
    uint256 public ghostSlashRewards;
    uint256 public ghostSlashToTreasury;
    /// @notice What slashes took from nodes' stake and credited as rewards, measured on the staking contract.
    uint256 public measuredSlashed;
    uint256 public measuredSlashCredits;

    uint256 public violations;
    string public firstViolation;
    mapping(string action => uint256) public successes;
    mapping(string action => uint256) public refusals;

    constructor(Deployment memory d, address[3] memory requesters_, address[3] memory nodes_) {
        escrow = d.escrow;
        staking = d.staking;
        registry = d.registry;
        usd = d.usd;
        token = d.token;
        gov = d.gov;
        treasury = d.treasury;
        unbonding = d.staking.unbondingPeriod();
        _requesters = requesters_;
        _nodes = nodes_;
        for (uint256 i; i < 3; ++i) {
            INodeStaking.Node memory n = d.staking.getNode(nodes_[i]);
            ghostNode[nodes_[i]] = NodeGhost(n.staked, n.thawing, n.thawEnd);
        }
        IInferenceEscrow.Config memory cfg = d.escrow.config();
        ghostFeeBps = cfg.feeBps;
        ghostRate = cfg.collateralPerPaymentBps;
        ghostChallengeWindow = cfg.challengeWindow;
        ghostPaused = cfg.paused;
        clock = block.timestamp;
    }

    /// @dev Every action runs at the handler's clock (the fuzzer may not warp between calls by itself).
    modifier tick() {
        vm.warp(clock);
        _;
    }

    /// @notice Every account that can hold an escrow balance or a slash reward.
    function accounts() public view virtual returns (address[] memory);

    /// @notice How many jobs the handler has requested.
    function jobCount() public view returns (uint256) {
        return _jobs.length;
    }

    /// @notice Job `i` with its claim and status, as the model holds them.
    function jobState(
        uint256 i
    ) public view returns (IInferenceEscrow.Job memory, IInferenceEscrow.Claim memory, IInferenceEscrow.JobStatus) {
        Entry storage e = _jobs[i];
        return (e.job, e.claim, e.status);
    }

    /// @notice The two models whose versions the handler requests.
    function models() external view returns (uint256[2] memory) {
        return _models;
    }

    /// @dev Moves job `e` to status `s` in the model (a terminal job never moves: a violation of the model).
    function _setStatus(Entry storage e, IInferenceEscrow.JobStatus s) internal {
        if (isTerminal(e.status)) _violation("model: a terminal job moved");
        e.status = s;
    }

    /// @dev `caller` reports that job `idx`'s claimer missed its delivery deadline: accepted exactly when the deadline
    /// has passed; the claimer's collateral is slashed (half to the requester), and the job opens again, or expires
    /// with its payment refunded when its final deadline has passed too.
    function _reportMissedDeadline(uint256 idx, address caller) internal {
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        Measure memory m = _measure(c.node);
        bool ok;
        vm.prank(caller);
        try escrow.reportMissedDeadline(job, c) {
            ok = true;
        } catch {}
        _expect(ok, clock > c.deliverBy, "reportMissedDeadline");
        if (!ok) return;
        ghostLocked[c.node] -= job.collateral;
        _slash(c.node, job.collateral, job.requester, REQUESTER_SHARE_BPS);
        _checkSlash(m, c.node, job.collateral, job.collateral, "reportMissedDeadline");
        e.claim = IInferenceEscrow.Claim(address(0), 0);
        if (clock >= job.expiresAt) {
            ghostBalance[job.requester] += job.payment;
            _setStatus(e, IInferenceEscrow.JobStatus.Expired);
        } else {
            _setStatus(e, IInferenceEscrow.JobStatus.Open);
        }
    }

    /// @notice The fuzzer's inputs of a request (bounded by `_params`).
    struct RequestSeeds {
        uint256 payment;
        uint256 window;
        uint256 life;
        uint256 nodeSeed;
        bool prepaid;
    }

    /// @dev Requester `actorSeed % 3` requests a job of `versionId` in `mode` with a fresh input digest (at most
    /// MAX_JOBS in a run); `_request` predicts the outcome, and an accepted job is modelled as open.
    function _requestJob(
        uint256 actorSeed,
        uint64 versionId,
        uint8 mode,
        RequestSeeds memory s,
        uint40 challengeWindow
    ) internal {
        if (_jobs.length >= MAX_JOBS) return;
        address r = _requesters[actorSeed % 3];
        bytes32 inputDigest = keccak256(abi.encode(_jobs.length, r));
        IInferenceEscrow.RequestParams memory p = _params(
            versionId,
            mode,
            s.payment,
            s.window,
            s.life,
            s.nodeSeed,
            inputDigest
        );
        (bool ok, IInferenceEscrow.Job memory job) = _request(r, p, s.prepaid, challengeWindow);
        if (ok) _recordRequested(job);
    }

    /// @dev Models a job the escrow accepted: open, unclaimed.
    function _recordRequested(IInferenceEscrow.Job memory job) internal {
        Entry storage e = _jobs.push();
        e.job = job;
        e.status = IInferenceEscrow.JobStatus.Open;
    }

    // ------------------------------------------------------------------------------------------------ shared actions

    function stake(uint256 nodeSeed, uint256 amount) external tick {
        address node = _nodes[nodeSeed % 3];
        amount = _bound(amount, 1, 2_000e18);
        token.approve(address(staking), amount);
        bool ok;
        try staking.stake(node, amount) {
            ok = true;
        } catch {}
        _expect(ok, true, "stake");
        if (ok) ghostNode[node].staked += amount;
    }

    function requestUnstake(uint256 nodeSeed, uint256 amount) external tick {
        address node = _nodes[nodeSeed % 3];
        uint256 staked = ghostNode[node].staked;
        // Mostly a slice of the stake, sometimes all of it, sometimes more than it (refused).
        uint256 r = amount % 8;
        amount =
            r == 0
                ? staked + 1
                : r < 3
                    ? staked
                    : _bound(amount, 1, staked / 8 + 1);
        _requestUnstake(node, amount);
    }

    /// @notice A node withdraws its thawed stake. Predicted refused while its locked collateral exceeds its active
    /// stake; when accepted, its remaining stake must still cover every live job's collateral.
    function withdrawStake(uint256 nodeSeed) external tick {
        _withdrawStake(_nodes[nodeSeed % 3]);
    }

    // ------------------------------------------------------------------------------------------------ internals

    /// @dev Requests a job of `p` from `r` (prepaid or by transfer), predicts the outcome from the model (refused only
    /// while paused), and checks the emitted job against the snapshot the model expects.
    function _request(
        address r,
        IInferenceEscrow.RequestParams memory p,
        bool prepaid,
        uint40 challengeWindow
    ) internal returns (bool ok, IInferenceEscrow.Job memory expected) {
        IModelRegistry.VersionTerms memory t = registry.versionTerms(p.versionId);
        uint256 collateral = (uint256(p.payment) * ghostRate) / BPS;
        if (collateral < t.minCollateral) collateral = t.minCollateral;
        expected = IInferenceEscrow.Job({
            requester: r,
            nonce: escrow.accountOf(r).nonce,
            versionId: p.versionId,
            callbackGasLimit: p.callbackGasLimit,
            node: p.node,
            mode: p.mode,
            modelId: t.modelId,
            payment: p.payment,
            royalty: t.royalty,
            feeBps: ghostFeeBps,
            collateral: uint96(collateral),
            deliveryWindow: p.deliveryWindow,
            expiresAt: p.expiresAt,
            inputDigest: p.inputDigest,
            challengeWindow: challengeWindow
        });
        vm.recordLogs();
        if (prepaid) {
            if (ghostBalance[r] < p.payment) _deposit(r, p.payment - ghostBalance[r]);
            vm.prank(r);
            try escrow.requestInference(p) {
                ok = true;
            } catch {}
        } else {
            usd.mint(r, p.payment);
            vm.startPrank(r);
            usd.approve(address(escrow), p.payment);
            try escrow.requestInferenceWithTransfer(p) {
                ok = true;
            } catch {}
            vm.stopPrank();
        }
        _expect(ok, !ghostPaused && !t.deprecated, "request");
        if (!ok) return (false, expected);
        if (prepaid) ghostBalance[r] -= p.payment;

        Vm.Log[] memory logs = vm.getRecordedLogs();
        IInferenceEscrow.Job memory emitted;
        bool found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(escrow) && logs[i].topics[0] == IInferenceEscrow.JobRequested.selector) {
                (emitted, ) = abi.decode(logs[i].data, (IInferenceEscrow.Job, string));
                found = true;
            }
        }
        if (!found || keccak256(abi.encode(emitted)) != keccak256(abi.encode(expected))) {
            _violation("request: the emitted job differs from the expected snapshot");
        }
    }

    /// @dev Bounded request parameters: a payment that covers a royalty of up to 50_000 plus a fee of up to 10 %, a
    /// delivery window of 30 s to 2 h, a life of up to a day past it, and sometimes a named node.
    function _params(
        uint64 versionId,
        uint8 mode,
        uint256 payment,
        uint256 window,
        uint256 life,
        uint256 nodeSeed,
        bytes32 inputDigest
    ) internal view returns (IInferenceEscrow.RequestParams memory) {
        IModelRegistry.VersionTerms memory t = registry.versionTerms(versionId);
        payment = _bound(payment, t.royalty == 0 ? 1 : 60_000, 20e6);
        window = _bound(window, 30, 2 hours);
        life = _bound(life, window, window + 1 days);
        return
            IInferenceEscrow.RequestParams({
                versionId: versionId,
                mode: mode,
                node: nodeSeed % 4 == 3 ? _nodes[(nodeSeed / 4) % 3] : address(0),
                payment: uint96(payment),
                deliveryWindow: uint40(window),
                expiresAt: uint40(clock + life),
                callbackGasLimit: 0,
                inputDigest: inputDigest,
                inputURI: "ipfs://input"
            });
    }

    function _deposit(address r, uint256 amount) internal {
        usd.mint(r, amount);
        vm.startPrank(r);
        usd.approve(address(escrow), amount);
        bool ok;
        try escrow.deposit(r, amount) {
            ok = true;
        } catch {}
        vm.stopPrank();
        _expect(ok, true, "deposit");
        if (ok) ghostBalance[r] += amount;
    }

    /// @dev `a` withdraws from its escrow balance: `amount` within it, or (one time in eight) one more than it.
    function _withdraw(address a, uint256 amount) internal {
        uint256 balance = ghostBalance[a];
        bool tooMuch = amount % 8 == 0;
        amount = tooMuch ? balance + 1 : _bound(amount, 1, balance == 0 ? 1 : balance);
        bool ok;
        vm.prank(a);
        try escrow.withdraw(amount, a) {
            ok = true;
        } catch {}
        _expect(ok, amount <= balance, "withdraw");
        if (ok) ghostBalance[a] -= amount;
    }

    function _claimRewards(address a) internal {
        bool ok;
        vm.prank(a);
        try staking.claimRewards(a) {
            ok = true;
        } catch {}
        _expect(ok, ghostRewards[a] != 0, "claimRewards");
        if (ok) ghostRewards[a] = 0;
    }

    function _requestUnstake(address node, uint256 amount) internal returns (bool ok) {
        NodeGhost storage g = ghostNode[node];
        vm.prank(node);
        try staking.requestUnstake(amount) {
            ok = true;
        } catch {}
        _expect(ok, amount != 0 && amount <= g.staked, "requestUnstake");
        if (!ok) return false;
        uint40 thawEnd = uint40(clock) + unbonding;
        if (thawEnd < g.thawEnd) thawEnd = g.thawEnd;
        g.staked -= amount;
        g.thawing += amount;
        g.thawEnd = thawEnd;
    }

    function _withdrawStake(address node) internal {
        NodeGhost storage g = ghostNode[node];
        bool uncovered = ghostLocked[node] > g.staked;
        bool expectOk = g.thawing != 0 && clock >= g.thawEnd && !uncovered;
        bool ok;
        vm.prank(node);
        try staking.withdrawStake(node) {
            ok = true;
        } catch {}
        _expect(ok, expectOk, "withdrawStake");
        if (!ok) {
            if (uncovered && g.thawing != 0 && clock >= g.thawEnd) refusals["withdrawStake: collateral locked"]++;
            return;
        }
        g.thawing = 0;
        INodeStaking.Node memory n = staking.getNode(node);
        if (uint256(n.staked) + n.thawing < escrow.lockedCollateral(node)) {
            _violation("withdrawStake: staked + thawing < locked after the withdrawal");
        }
        if (_pendingCollateral(node) > uint256(n.staked) + n.thawing) {
            _violation("withdrawStake: a result that can still be challenged lost its collateral");
        }
    }

    /// @dev Collateral of `node`'s jobs whose results can still be challenged (none by default).
    function _pendingCollateral(address) internal view virtual returns (uint256) {
        return 0;
    }

    /// @dev Credits a settled job's payment in the model: protocol fee, royalty, and the rest to `node`.
    function _creditSettlement(IInferenceEscrow.Job memory job, address node) internal {
        uint256 fee = (uint256(job.payment) * job.feeBps) / BPS;
        ghostBalance[node] += job.payment - job.royalty - fee;
        ghostRoyalties[job.modelId] += job.royalty;
        ghostFees[job.modelId] += fee;
    }

    /// @dev The model of NodeStaking.slash: active stake first, then thawing; `rewardBps` to the beneficiary.
    function _slash(address node, uint256 amount, address beneficiary, uint256 rewardBps) internal {
        if (amount == 0) return;
        NodeGhost storage g = ghostNode[node];
        if (amount <= g.staked) {
            g.staked -= amount;
        } else {
            g.thawing -= amount - g.staked;
            g.staked = 0;
            successes["slash reaching thawing stake"]++;
        }
        uint256 reward = (amount * rewardBps) / BPS;
        ghostRewards[beneficiary] += reward;
        ghostRewards[treasury] += amount - reward;
        ghostSlashed += amount;
        ghostSlashRewards += reward;
        ghostSlashToTreasury += amount - reward;
    }

    function _measure(address node) internal view returns (Measure memory m) {
        m.stake = staking.totalStakeOf(node);
        m.rewards = _sumRewards();
    }

    function _sumRewards() internal view returns (uint256 sum) {
        address[] memory a = accounts();
        for (uint256 i; i < a.length; ++i) {
            sum += staking.rewardsOf(a[i]);
        }
    }

    /// @dev Checks, on the staking contract, what a call took from `node` and credited as rewards: exactly `expected`,
    /// never more than the collateral `locked` for the job, and credits == slashed.
    function _checkSlash(
        Measure memory m,
        address node,
        uint256 expected,
        uint256 locked,
        string memory action
    ) internal {
        uint256 stakeAfter = staking.totalStakeOf(node);
        uint256 rewardsAfter = _sumRewards();
        if (stakeAfter > m.stake || rewardsAfter < m.rewards) {
            _violation(string.concat(action, ": stake grew or rewards shrank"));
            return;
        }
        uint256 slashed = m.stake - stakeAfter;
        uint256 credited = rewardsAfter - m.rewards;
        if (slashed > locked) _violation(string.concat(action, ": slashed more than the job's locked collateral"));
        if (slashed != expected) _violation(string.concat(action, ": slashed amount differs from the model"));
        if (credited != slashed) _violation(string.concat(action, ": reward + treasury share != slashed"));
        measuredSlashed += slashed;
        measuredSlashCredits += credited;
    }

    function _expect(bool ok, bool expected, string memory action) internal {
        if (ok == expected) {
            if (ok) successes[action]++;
            else refusals[action]++;
            return;
        }
        _violation(string.concat(action, ok ? ": accepted, but must be refused" : ": refused, but must be accepted"));
    }

    function _violation(string memory what) internal {
        if (violations == 0) firstViolation = what;
        ++violations;
    }
}
