// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";
import {IInferenceEscrow} from "../contracts/interfaces/IInferenceEscrow.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {INodeStaking} from "../contracts/interfaces/INodeStaking.sol";
import {InferenceEscrow} from "../contracts/InferenceEscrow.sol";
import {JobId} from "../contracts/libraries/JobId.sol";
import {MockUSD} from "../contracts/mocks/MockUSD.sol";
import {ModelRegistry} from "../contracts/ModelRegistry.sol";
import {NodeStaking} from "../contracts/NodeStaking.sol";
import {TeeResultVerifier} from "../contracts/TeeResultVerifier.sol";
import {VeritasSuite} from "./helpers/VeritasSuite.sol";
import {VeritasToken} from "../contracts/VeritasToken.sol";

/// @notice Invariants of the escrow and staking over random sequences of deposits, requests (prepaid and by transfer),
/// claims, results (single, direct, batched), cancellations, expiries, missed-deadline reports, withdrawals, stake
/// moves, reward and royalty withdrawals, fee collection and governance changes (fee, rate, pause), driven by
/// `EscrowHandler` across three requesters and three TEE nodes, with time moving forward.
/// Each invariant runs its own campaign of 48 runs x 80 calls (hardhat-config lines below; about 7 s for all five).
/// The handler checks every action's outcome against its model (see `EscrowHandler`), so the invariants also assert
/// that no action was wrongly accepted or refused.
contract InferenceEscrowInvariantTest is StdInvariant, VeritasSuite {
    EscrowHandler internal handler;
    address[3] internal requesters;
    address[3] internal nodes;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploySuite(1_000_000_000e18);
        uint256 modelA = _createModel();
        uint256 modelB = _createModel();
        uint64[2] memory versions = [
            _publishTeeVersion(modelA, 50_000, 100e18), // a royalty, collateral set by the version's minimum
            _publishTeeVersion(modelB, 0, 0) // no royalty, collateral set by the rate
        ];
        uint256[3] memory pks;
        for (uint256 i; i < 3; ++i) {
            requesters[i] = makeAddr(string.concat("requester", vm.toString(i)));
            nodes[i] = makeAddr(string.concat("node", vm.toString(i)));
            pks[i] = uint256(keccak256(abi.encode("enclave", i)));
            _setUpNode(nodes[i], 1_500e18, pks[i]);
        }
        handler = new EscrowHandler(
            EscrowHandler.Deployment({
                escrow: escrow,
                staking: staking,
                registry: registry,
                teeVerifier: teeVerifier,
                usd: usd,
                token: token,
                gov: gov,
                treasury: treasury,
                modelOwner: modelOwner
            }),
            requesters,
            nodes,
            pks,
            versions
        );
        token.transfer(address(handler), 100_000_000e18);

        targetSelector(FuzzSelector({addr: address(handler), selectors: _selectors()}));
        targetContract(address(handler));
    }

    /// @dev The handler's actions, weighted by repetition: more requests, claims, results and reports than the rest.
    function _selectors() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](26);
        uint256 i;
        s[i++] = EscrowHandler.deposit.selector;
        for (uint256 k; k < 3; ++k) {
            s[i++] = EscrowHandler.request.selector;
            s[i++] = EscrowHandler.claim.selector;
        }
        for (uint256 k; k < 2; ++k) {
            s[i++] = EscrowHandler.submit.selector;
            s[i++] = EscrowHandler.reportMissedDeadline.selector;
            s[i++] = EscrowHandler.warp.selector;
        }
        s[i++] = EscrowHandler.fulfil.selector;
        s[i++] = EscrowHandler.batch.selector;
        s[i++] = EscrowHandler.cancel.selector;
        s[i++] = EscrowHandler.expire.selector;
        s[i++] = EscrowHandler.withdraw.selector;
        s[i++] = EscrowHandler.stake.selector;
        s[i++] = EscrowHandler.requestUnstake.selector;
        s[i++] = EscrowHandler.withdrawStake.selector;
        s[i++] = EscrowHandler.claimRewards.selector;
        s[i++] = EscrowHandler.withdrawRoyalties.selector;
        s[i++] = EscrowHandler.collectProtocolFees.selector;
        s[i++] = EscrowHandler.setParameters.selector;
        s[i++] = EscrowHandler.poke.selector;
        assert(i == s.length);
    }

    // ------------------------------------------------------------------------------------------------ invariants

    /// @notice (a) The escrow holds exactly what it owes in the payment token: account balances, the payments of jobs
    /// not yet terminal, and the models' royalties and protocol fees. Each account and model also matches the ghost.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_paymentTokenConserved() public view {
        uint256 owed;
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            uint256 b = escrow.balanceOf(accounts[i]);
            assertEq(b, handler.ghostBalance(accounts[i]), "account balance vs ghost");
            owed += b;
        }
        for (uint256 i; i < handler.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, , ) = handler.jobAt(i);
            IInferenceEscrow.JobStatus s = escrow.jobStatus(_jobId(job));
            if (s == IInferenceEscrow.JobStatus.Open || s == IInferenceEscrow.JobStatus.Claimed) owed += job.payment;
        }
        uint256[2] memory models = handler.models();
        for (uint256 i; i < 2; ++i) {
            IInferenceEscrow.ModelAccrual memory m = escrow.accrualOf(models[i]);
            assertEq(m.royalties, handler.ghostRoyalties(models[i]), "royalties vs ghost");
            assertEq(m.protocolFees, handler.ghostFees(models[i]), "protocol fees vs ghost");
            owed += uint256(m.royalties) + m.protocolFees;
        }
        assertEq(usd.balanceOf(address(escrow)), owed, "payment token held == owed");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice (b) The staking contract holds exactly every node's staked + thawing stake plus unclaimed slash rewards.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_stakingTokenConserved() public view {
        uint256 owed;
        for (uint256 i; i < 3; ++i) {
            INodeStaking.Node memory n = staking.getNode(nodes[i]);
            owed += uint256(n.staked) + n.thawing;
        }
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            uint256 r = staking.rewardsOf(accounts[i]);
            assertEq(r, handler.ghostRewards(accounts[i]), "slash rewards vs ghost");
            owed += r;
        }
        assertEq(token.balanceOf(address(staking)), owed, "staking token held == owed");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice (c) Each node's locked collateral is the sum of its claimed jobs' collateral and never exceeds its
    /// staked + thawing stake.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_lockedCollateralWithinStake() public view {
        uint256[3] memory claimedCollateral;
        for (uint256 i; i < handler.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, IInferenceEscrow.Claim memory c, IInferenceEscrow.JobStatus s) = handler
                .jobAt(i);
            if (s != IInferenceEscrow.JobStatus.Claimed) continue;
            for (uint256 k; k < 3; ++k) {
                if (nodes[k] == c.node) claimedCollateral[k] += job.collateral;
            }
        }
        for (uint256 k; k < 3; ++k) {
            uint256 locked = escrow.lockedCollateral(nodes[k]);
            assertEq(locked, claimedCollateral[k], "locked == collateral of the node's claimed jobs");
            assertEq(locked, handler.ghostLocked(nodes[k]), "locked vs ghost");
            assertLe(locked, staking.totalStakeOf(nodes[k]), "locked <= staked + thawing");
        }
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice (d) Every job is in exactly the status the model predicts, its stored commitment is the hash of its
    /// parameters and current claim, and a terminal job never moves again (the handler also pokes terminal jobs with
    /// every action and counts any that is accepted as a violation).
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_jobStatusesMatchModel() public view {
        for (uint256 i; i < handler.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, IInferenceEscrow.Claim memory c, IInferenceEscrow.JobStatus s) = handler
                .jobAt(i);
            JobId id = _jobId(job);
            assertEq(uint8(escrow.jobStatus(id)), uint8(s), "status vs model");
            assertTrue(s != IInferenceEscrow.JobStatus.None, "every requested job has a status");
            assertEq(escrow.jobCommitment(id), _commitment(job, c, s), "commitment");
        }
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice (e) Payments are paid out once: what settlements credited (node fees, royalties, protocol fees, measured
    /// on the contracts) equals the payments of the settled jobs.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_paymentsPaidOnce() public view {
        uint256 settled;
        for (uint256 i; i < handler.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, , ) = handler.jobAt(i);
            if (escrow.jobStatus(_jobId(job)) == IInferenceEscrow.JobStatus.Settled) settled += job.payment;
        }
        assertEq(handler.ghostCredited(), settled, "credited == payments of settled jobs");
        assertEq(handler.ghostSettledPayments(), settled, "settled payments vs model");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }
}

/// @notice Drives bounded random sequences of escrow and staking actions by a few requesters and TEE nodes, and keeps
/// an independent model of what every account, model and job should hold (the ghosts). Every action predicts whether
/// the contracts must accept it; a contract that refuses an action it should accept, or accepts one it should refuse,
/// is recorded as a violation (the invariant test asserts there are none). The handler itself never reverts.
contract EscrowHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant BPS = 10_000;
    uint8 internal constant MODE_TEE = 1;
    uint256 internal constant MAX_JOBS = 48;
    uint256 internal constant MIN_STAKE = 1_000e18;
    uint256 internal constant REQUESTER_SHARE_BPS = 5_000;
    /// @dev When true, batches repeat their first job, and the handler expects the escrow to refuse them. The current
    /// escrow settles such a batch twice (see the test report); keep false until that is fixed.
    bool internal constant DUPLICATES_IN_BATCH = false;

    struct Deployment {
        InferenceEscrow escrow;
        NodeStaking staking;
        ModelRegistry registry;
        TeeResultVerifier teeVerifier;
        MockUSD usd;
        VeritasToken token;
        address gov;
        address treasury;
        address modelOwner;
    }

    struct Entry {
        IInferenceEscrow.Job job;
        IInferenceEscrow.Claim claim;
        IInferenceEscrow.JobStatus status;
    }

    InferenceEscrow public immutable escrow;
    NodeStaking public immutable staking;
    ModelRegistry public immutable registry;
    TeeResultVerifier public immutable teeVerifier;
    MockUSD public immutable usd;
    VeritasToken public immutable token;
    address public immutable gov;
    address public immutable treasury;
    address public immutable modelOwner;

    address[3] internal _requesters;
    address[3] internal _nodes;
    uint256[3] internal _enclavePks;
    uint64[2] internal _versions;
    uint256[2] internal _models;

    Entry[] internal _jobs;
    uint256 public clock;

    mapping(address account => uint256) public ghostBalance;
    mapping(address node => uint256) public ghostLocked;
    mapping(address account => uint256) public ghostRewards;
    mapping(uint256 modelId => uint256) public ghostRoyalties;
    mapping(uint256 modelId => uint256) public ghostFees;
    /// @notice What settlements credited (node balances + model accruals), measured on the contracts around each call.
    uint256 public ghostCredited;
    /// @notice Payments of the jobs the handler saw settle.
    uint256 public ghostSettledPayments;

    uint256 public violations;
    string public firstViolation;
    mapping(string action => uint256) public successes;

    constructor(
        Deployment memory d,
        address[3] memory requesters_,
        address[3] memory nodes_,
        uint256[3] memory enclavePks_,
        uint64[2] memory versions_
    ) {
        escrow = d.escrow;
        staking = d.staking;
        registry = d.registry;
        teeVerifier = d.teeVerifier;
        usd = d.usd;
        token = d.token;
        gov = d.gov;
        treasury = d.treasury;
        modelOwner = d.modelOwner;
        _requesters = requesters_;
        _nodes = nodes_;
        _enclavePks = enclavePks_;
        _versions = versions_;
        for (uint256 i; i < 2; ++i) {
            _models[i] = registry.versionTerms(versions_[i]).modelId;
        }
        clock = block.timestamp;
    }

    modifier tick() {
        vm.warp(clock);
        _;
    }

    // ------------------------------------------------------------------------------------------------ actions

    function deposit(uint256 actorSeed, uint256 amount) external tick {
        address r = _requesters[actorSeed % 3];
        amount = bound(amount, 1, 50e6);
        _deposit(r, amount);
    }

    function request(
        uint256 actorSeed,
        uint256 versionSeed,
        uint256 payment,
        uint256 window,
        uint256 life,
        uint256 nodeSeed,
        bool prepaid
    ) external tick {
        if (_jobs.length >= MAX_JOBS) return;
        address r = _requesters[actorSeed % 3];
        uint64 versionId = _versions[versionSeed % 2];
        IModelRegistry.VersionTerms memory t = registry.versionTerms(versionId);
        IInferenceEscrow.Config memory cfg = escrow.config();
        // At a fee of at most 10 %, 60_000 units cover the first version's royalty of 50_000 plus the fee.
        payment = bound(payment, t.royalty == 0 ? 1 : 60_000, 20e6);
        window = bound(window, 30, 2 hours);
        life = bound(life, window, window + 1 days);
        address named = nodeSeed % 4 == 3 ? _nodes[(nodeSeed / 4) % 3] : address(0);
        IInferenceEscrow.RequestParams memory p = IInferenceEscrow.RequestParams({
            versionId: versionId,
            mode: MODE_TEE,
            node: named,
            payment: uint96(payment),
            deliveryWindow: uint40(window),
            expiresAt: uint40(clock + life),
            callbackGasLimit: 0,
            inputDigest: keccak256(abi.encode(_jobs.length, r)),
            inputURI: "ipfs://input"
        });
        uint256 collateral = (payment * cfg.collateralPerPaymentBps) / BPS;
        if (collateral < t.minCollateral) collateral = t.minCollateral;
        IInferenceEscrow.Job memory expected = IInferenceEscrow.Job({
            requester: r,
            nonce: escrow.accountOf(r).nonce,
            versionId: versionId,
            callbackGasLimit: 0,
            node: named,
            mode: MODE_TEE,
            modelId: t.modelId,
            payment: uint96(payment),
            royalty: t.royalty,
            feeBps: cfg.feeBps,
            collateral: uint96(collateral),
            deliveryWindow: uint40(window),
            expiresAt: p.expiresAt,
            inputDigest: p.inputDigest,
            challengeWindow: 0
        });

        bool ok;
        vm.recordLogs();
        if (prepaid) {
            if (ghostBalance[r] < payment) _deposit(r, payment - ghostBalance[r]);
            vm.prank(r);
            try escrow.requestInference(p) {
                ok = true;
            } catch {}
        } else {
            usd.mint(r, payment);
            vm.startPrank(r);
            usd.approve(address(escrow), payment);
            try escrow.requestInferenceWithTransfer(p) {
                ok = true;
            } catch {}
            vm.stopPrank();
        }
        _expect(ok, !cfg.paused, "request");
        if (!ok) return;
        if (prepaid) ghostBalance[r] -= payment;

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
        Entry storage e = _jobs.push();
        e.job = expected;
        e.status = IInferenceEscrow.JobStatus.Open;
    }

    function claim(uint256 jobSeed, uint256 nodeSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
        if (!found) return;
        Entry storage e = _jobs[idx];
        address node = _nodes[nodeSeed % 3];
        INodeStaking.Node memory n = staking.getNode(node);
        bool expectOk =
            clock < e.job.expiresAt &&
                (e.job.node == address(0) || e.job.node == node) &&
                n.staked >= MIN_STAKE &&
                ghostLocked[node] + e.job.collateral <= uint256(n.staked) + n.thawing;
        IInferenceEscrow.Job memory job = e.job;
        bool ok;
        vm.prank(node);
        try escrow.claim(job) {
            ok = true;
        } catch {}
        _expect(ok, expectOk, "claim");
        if (!ok) return;
        uint256 deliverBy = clock + job.deliveryWindow;
        if (deliverBy > job.expiresAt) deliverBy = job.expiresAt;
        e.claim = IInferenceEscrow.Claim(node, uint40(deliverBy));
        e.status = IInferenceEscrow.JobStatus.Claimed;
        ghostLocked[node] += job.collateral;
    }

    function submit(uint256 jobSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Claimed);
        if (!found) return;
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        bytes memory output = abi.encode(idx, clock);
        bytes memory sig = _sign(_pkOf(c.node), job, output);
        uint256 before = _credits(c.node);
        bool ok;
        vm.prank(c.node);
        try escrow.submitResult(job, c, output, sig) {
            ok = true;
        } catch {}
        _expect(ok, clock <= c.deliverBy, "submit");
        if (!ok) return;
        ghostCredited += _credits(c.node) - before;
        _settled(idx, c.node, true);
    }

    function fulfil(uint256 jobSeed, uint256 nodeSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
        if (!found) return;
        IInferenceEscrow.Job memory job = _jobs[idx].job;
        address node = _nodes[nodeSeed % 3];
        bytes memory output = abi.encode(idx, clock, node);
        bytes memory sig = _sign(_pkOf(node), job, output);
        uint256 before = _credits(node);
        bool ok;
        vm.prank(node);
        try escrow.submitResult(job, IInferenceEscrow.Claim(address(0), 0), output, sig) {
            ok = true;
        } catch {}
        // A direct fulfil locks nothing but needs an active node (registered, at least the minimum active stake).
        bool active = staking.getNode(node).staked >= MIN_STAKE;
        _expect(ok, active && clock < job.expiresAt && (job.node == address(0) || job.node == node), "fulfil");
        if (!ok) return;
        ghostCredited += _credits(node) - before;
        _settled(idx, node, false);
    }

    function batch(uint256 jobSeed, uint256 nodeSeed, uint256 count) external tick {
        address node = _nodes[nodeSeed % 3];
        bool active = staking.getNode(node).staked >= MIN_STAKE;
        count = bound(count, 1, 3);
        uint256 n = _jobs.length;
        if (n == 0) return;
        uint256[] memory picked = new uint256[](count + 1);
        uint256 k;
        for (uint256 i; i < n && k < count; ++i) {
            uint256 j = ((jobSeed % n) + i) % n;
            Entry storage e = _jobs[j];
            bool claimedByNode =
                e.status == IInferenceEscrow.JobStatus.Claimed && e.claim.node == node && clock <= e.claim.deliverBy;
            bool openForNode =
                active &&
                    e.status == IInferenceEscrow.JobStatus.Open &&
                    clock < e.job.expiresAt &&
                    (e.job.node == address(0) || e.job.node == node);
            if (claimedByNode || openForNode) picked[k++] = j;
        }
        if (k == 0) return;
        // Sometimes list a job twice: the escrow must refuse the whole batch (it once paid such a job twice).
        bool duplicate = DUPLICATES_IN_BATCH || (count % 2 == 0 && jobSeed % 4 == 0);
        if (duplicate) picked[k++] = picked[0];

        IInferenceEscrow.Job[] memory jobs = new IInferenceEscrow.Job[](k);
        IInferenceEscrow.Claim[] memory claims = new IInferenceEscrow.Claim[](k);
        bytes[] memory outputs = new bytes[](k);
        bytes32[] memory hashes = new bytes32[](k);
        for (uint256 i; i < k; ++i) {
            Entry storage e = _jobs[picked[i]];
            jobs[i] = e.job;
            claims[i] = e.claim;
            outputs[i] = abi.encode(picked[i], clock, "batch");
            hashes[i] = teeVerifier.resultStructHash(
                address(escrow),
                JobId.unwrap(_jobId(e.job)),
                e.job.versionId,
                e.job.inputDigest,
                keccak256(outputs[i])
            );
        }
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_pkOf(node), teeVerifier.batchDigest(hashes));
        uint256 before = _credits(node);
        bool ok;
        vm.prank(node);
        try escrow.submitBatch(jobs, claims, outputs, abi.encodePacked(r, s, v)) {
            ok = true;
        } catch {}
        _expect(ok, !duplicate, "batch");
        if (!ok) return;
        ghostCredited += _credits(node) - before;
        for (uint256 i; i < k; ++i) {
            _settled(picked[i], node, claims[i].node != address(0));
        }
    }

    function cancel(uint256 jobSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
        if (!found) return;
        IInferenceEscrow.Job memory job = _jobs[idx].job;
        // Mostly the requester; sometimes someone else, who must be refused.
        address caller = callerSeed % 5 == 0 ? _requesters[(callerSeed / 5) % 3] : job.requester;
        bool ok;
        vm.prank(caller);
        try escrow.cancel(job) {
            ok = true;
        } catch {}
        _expect(ok, caller == job.requester, "cancel");
        if (!ok) return;
        ghostBalance[job.requester] += job.payment;
        _jobs[idx].status = IInferenceEscrow.JobStatus.Cancelled;
    }

    function expire(uint256 jobSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
        if (!found) return;
        IInferenceEscrow.Job memory job = _jobs[idx].job;
        bool ok;
        vm.prank(_requesters[callerSeed % 3]);
        try escrow.expire(job) {
            ok = true;
        } catch {}
        _expect(ok, clock >= job.expiresAt, "expire");
        if (!ok) return;
        ghostBalance[job.requester] += job.payment;
        _jobs[idx].status = IInferenceEscrow.JobStatus.Expired;
    }

    function reportMissedDeadline(uint256 jobSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Claimed);
        if (!found) return;
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        bool ok;
        vm.prank(_requesters[callerSeed % 3]);
        try escrow.reportMissedDeadline(job, c) {
            ok = true;
        } catch {}
        _expect(ok, clock > c.deliverBy, "reportMissedDeadline");
        if (!ok) return;
        ghostLocked[c.node] -= job.collateral;
        if (job.collateral != 0) {
            uint256 reward = (uint256(job.collateral) * REQUESTER_SHARE_BPS) / BPS;
            ghostRewards[job.requester] += reward;
            ghostRewards[treasury] += job.collateral - reward;
        }
        e.claim = IInferenceEscrow.Claim(address(0), 0);
        if (clock >= job.expiresAt) {
            e.status = IInferenceEscrow.JobStatus.Expired;
            ghostBalance[job.requester] += job.payment;
        } else {
            e.status = IInferenceEscrow.JobStatus.Open;
        }
    }

    /// @notice Moves time forward: mostly minutes to hours (delivery windows), sometimes a day or two (expiry, thawing).
    function warp(uint256 secs) external {
        clock += secs % 4 == 0 ? bound(secs, 1 days, 2 days) : bound(secs, 1, 3 hours);
        vm.warp(clock);
    }

    function withdraw(uint256 actorSeed, uint256 amount) external tick {
        address a = actorSeed % 2 == 0 ? _requesters[(actorSeed / 2) % 3] : _nodes[(actorSeed / 2) % 3];
        uint256 balance = ghostBalance[a];
        // Sometimes more than the balance, which must be refused.
        bool tooMuch = amount % 8 == 0;
        amount = tooMuch ? balance + 1 : bound(amount, 1, balance == 0 ? 1 : balance);
        bool ok;
        vm.prank(a);
        try escrow.withdraw(amount, a) {
            ok = true;
        } catch {}
        _expect(ok, amount <= balance, "withdraw");
        if (ok) ghostBalance[a] -= amount;
    }

    function stake(uint256 nodeSeed, uint256 amount) external tick {
        address node = _nodes[nodeSeed % 3];
        amount = bound(amount, 1, 1_500e18);
        token.approve(address(staking), amount);
        bool ok;
        try staking.stake(node, amount) {
            ok = true;
        } catch {}
        _expect(ok, true, "stake");
    }

    function requestUnstake(uint256 nodeSeed, uint256 amount) external tick {
        address node = _nodes[nodeSeed % 3];
        uint256 staked = staking.getNode(node).staked;
        if (staked == 0) return;
        // Mostly a slice of the stake, sometimes all of it.
        amount = amount % 4 == 0 ? staked : bound(amount, 1, staked / 4 + 1);
        bool ok;
        vm.prank(node);
        try staking.requestUnstake(amount) {
            ok = true;
        } catch {}
        _expect(ok, true, "requestUnstake");
    }

    function withdrawStake(uint256 nodeSeed) external tick {
        address node = _nodes[nodeSeed % 3];
        INodeStaking.Node memory n = staking.getNode(node);
        bool ok;
        vm.prank(node);
        try staking.withdrawStake(node) {
            ok = true;
        } catch {}
        _expect(ok, n.thawing != 0 && clock >= n.thawEnd && n.staked >= ghostLocked[node], "withdrawStake");
    }

    function claimRewards(uint256 actorSeed) external tick {
        address a = actorSeed % 4 == 3 ? treasury : _requesters[actorSeed % 4];
        bool ok;
        vm.prank(a);
        try staking.claimRewards(a) {
            ok = true;
        } catch {}
        _expect(ok, ghostRewards[a] != 0, "claimRewards");
        if (ok) ghostRewards[a] = 0;
    }

    function withdrawRoyalties(uint256 modelSeed) external tick {
        uint256 modelId = _models[modelSeed % 2];
        bool ok;
        vm.prank(modelOwner);
        try escrow.withdrawRoyalties(modelId, modelOwner) {
            ok = true;
        } catch {}
        _expect(ok, ghostRoyalties[modelId] != 0, "withdrawRoyalties");
        if (ok) ghostRoyalties[modelId] = 0;
    }

    function collectProtocolFees() external tick {
        uint256[] memory ids = new uint256[](2);
        ids[0] = _models[0];
        ids[1] = _models[1];
        bool ok;
        try escrow.collectProtocolFees(ids) {
            ok = true;
        } catch {}
        _expect(ok, ghostFees[ids[0]] + ghostFees[ids[1]] != 0, "collectProtocolFees");
        if (ok) {
            ghostFees[ids[0]] = 0;
            ghostFees[ids[1]] = 0;
        }
    }

    /// @notice Governance moves the fee, the collateral rate and the pause (jobs already open keep their terms).
    function setParameters(uint256 feeBps, uint256 rate, uint256 pauseSeed) external tick {
        vm.startPrank(gov);
        escrow.setProtocolFee(uint16(bound(feeBps, 0, 1_000)));
        escrow.setCollateralRate(uint32(bound(rate, 0, 100_000)));
        escrow.setPaused(pauseSeed % 8 == 0);
        vm.stopPrank();
        successes["setParameters"]++;
    }

    /// @notice Tries to move a job that reached a terminal state: every attempt must be refused.
    function poke(uint256 jobSeed, uint256 actionSeed) external tick {
        uint256 n = _jobs.length;
        if (n == 0) return;
        uint256 idx = type(uint256).max;
        for (uint256 i; i < n; ++i) {
            uint256 j = ((jobSeed % n) + i) % n;
            if (uint8(_jobs[j].status) >= uint8(IInferenceEscrow.JobStatus.Settled)) {
                idx = j;
                break;
            }
        }
        if (idx == type(uint256).max) return;
        IInferenceEscrow.Job memory job = _jobs[idx].job;
        IInferenceEscrow.Claim memory c = _jobs[idx].claim;
        address node = c.node != address(0) ? c.node : _nodes[actionSeed % 3];
        uint256 action = (actionSeed / 3) % 6;
        bytes memory output = abi.encode("replay", clock);
        bytes memory sig = _sign(_pkOf(node), job, output);
        bool ok;
        if (action == 0) {
            vm.prank(node);
            try escrow.claim(job) {
                ok = true;
            } catch {}
        } else if (action == 1) {
            vm.prank(node);
            try escrow.submitResult(job, IInferenceEscrow.Claim(address(0), 0), output, sig) {
                ok = true;
            } catch {}
        } else if (action == 2) {
            vm.prank(node);
            try escrow.submitResult(job, c, output, sig) {
                ok = true;
            } catch {}
        } else if (action == 3) {
            vm.prank(job.requester);
            try escrow.cancel(job) {
                ok = true;
            } catch {}
        } else if (action == 4) {
            try escrow.expire(job) {
                ok = true;
            } catch {}
        } else {
            try escrow.reportMissedDeadline(job, c) {
                ok = true;
            } catch {}
        }
        _expect(ok, false, "poke a terminal job");
    }

    // ------------------------------------------------------------------------------------------------ views

    function jobCount() external view returns (uint256) {
        return _jobs.length;
    }

    function jobAt(
        uint256 i
    ) external view returns (IInferenceEscrow.Job memory, IInferenceEscrow.Claim memory, IInferenceEscrow.JobStatus) {
        Entry storage e = _jobs[i];
        return (e.job, e.claim, e.status);
    }

    function nodes() external view returns (address[3] memory) {
        return _nodes;
    }

    function models() external view returns (uint256[2] memory) {
        return _models;
    }

    /// @notice Every account that can hold an escrow balance or a slash reward.
    function accounts() external view returns (address[] memory a) {
        a = new address[](7);
        for (uint256 i; i < 3; ++i) {
            a[i] = _requesters[i];
            a[3 + i] = _nodes[i];
        }
        a[6] = treasury;
    }

    // ------------------------------------------------------------------------------------------------ internals

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

    function _settled(uint256 idx, address node, bool claimed) internal {
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        uint256 fee = (uint256(job.payment) * job.feeBps) / BPS;
        ghostBalance[node] += job.payment - job.royalty - fee;
        ghostRoyalties[job.modelId] += job.royalty;
        ghostFees[job.modelId] += fee;
        ghostSettledPayments += job.payment;
        if (claimed) ghostLocked[node] -= job.collateral;
        e.status = IInferenceEscrow.JobStatus.Settled;
    }

    /// @dev A node's escrow balance plus every model's accruals: what a settlement by `node` credits.
    function _credits(address node) internal view returns (uint256 sum) {
        sum = escrow.balanceOf(node);
        for (uint256 i; i < 2; ++i) {
            IInferenceEscrow.ModelAccrual memory m = escrow.accrualOf(_models[i]);
            sum += uint256(m.royalties) + m.protocolFees;
        }
    }

    function _pick(uint256 seed, IInferenceEscrow.JobStatus status) internal view returns (bool, uint256) {
        uint256 n = _jobs.length;
        for (uint256 i; i < n; ++i) {
            uint256 j = ((seed % n) + i) % n;
            if (_jobs[j].status == status) return (true, j);
        }
        return (false, 0);
    }

    function _pkOf(address node) internal view returns (uint256) {
        for (uint256 i; i < 3; ++i) {
            if (_nodes[i] == node) return _enclavePks[i];
        }
        revert("not a node");
    }

    function _jobId(IInferenceEscrow.Job memory job) internal pure returns (JobId) {
        return JobId.wrap((uint256(uint160(job.requester)) << 32) | job.nonce);
    }

    function _sign(
        uint256 pk,
        IInferenceEscrow.Job memory job,
        bytes memory output
    ) internal view returns (bytes memory) {
        bytes32 digest = teeVerifier.resultDigest(
            address(escrow),
            JobId.unwrap(_jobId(job)),
            job.versionId,
            job.inputDigest,
            keccak256(output)
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _expect(bool ok, bool expected, string memory action) internal {
        if (ok == expected) {
            if (ok) successes[action]++;
            return;
        }
        _violation(string.concat(action, ok ? ": accepted, but must be refused" : ": refused, but must be accepted"));
    }

    function _violation(string memory what) internal {
        if (violations == 0) firstViolation = what;
        ++violations;
    }
}
