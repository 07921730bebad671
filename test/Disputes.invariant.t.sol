// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {IDisputeManager} from "../contracts/interfaces/IDisputeManager.sol";
import {IInferenceEscrow} from "../contracts/interfaces/IInferenceEscrow.sol";
import {INodeStaking} from "../contracts/interfaces/INodeStaking.sol";
import {JobId} from "../contracts/libraries/JobId.sol";
import {BaseHandler} from "./helpers/BaseHandler.sol";
import {isTerminal} from "./helpers/JobStatuses.sol";
import {ConservationInvariants} from "./helpers/ConservationInvariants.sol";

/// @notice Invariants of optimistic jobs and their disputes over random sequences of stake moves (stake, unstake
/// requests, withdrawals), optimistic requests (prepaid and by transfer) of OPTIMISTIC-only versions, claims, proposals
/// (claim-and-propose, and propose after a claim), challenges with bonds by three challengers (and sometimes by the
/// proposing node itself), arbitration (the handler plays the arbitrator: node right or wrong), timeouts (draws),
/// finalization (single and batched), expiries, missed-deadline reports, escrow withdrawals, slash-reward claims and
/// governance changes of the dispute and escrow parameters and the pause, with time moving forward. Driven by
/// `DisputesHandler` (on BaseHandler) across three requesters, three nodes and three challengers. Runs x depth per
/// invariant: the `default` and `deep` lines below (docs/invariants.md).
/// The handler checks every action's outcome against its model (see `DisputesHandler`), so the invariants also assert
/// that no action was wrongly accepted or refused.
contract DisputesInvariantTest is ConservationInvariants {
    DisputesHandler internal handler;

    function _base() internal view override returns (BaseHandler) {
        return handler;
    }

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploySuite(1_000_000_000e18);
        uint256 modelA = _createModel();
        uint256 modelB = _createModel();
        uint64[3] memory versions = [
            _publishOptimisticVersion(modelA, 50_000, 100e18), // a royalty, collateral set by the version's minimum
            _publishOptimisticVersion(modelB, 0, 600e18), // a large minimum collateral: few jobs per node
            _publishOptimisticVersion(modelB, 0, 0) // collateral set by the rate (dust, or zero at a zero rate)
        ];
        address[3] memory requesters;
        address[3] memory challengers;
        for (uint256 i; i < 3; ++i) {
            requesters[i] = makeAddr(string.concat("requester", vm.toString(i)));
            challengers[i] = makeAddr(string.concat("challenger", vm.toString(i)));
            nodes[i] = makeAddr(string.concat("node", vm.toString(i)));
            _setUpOptimisticNode(nodes[i], 2_500e18);
        }
        handler = new DisputesHandler(
            _handlerDeployment(),
            disputes,
            makeAddr("arbitrator2"),
            requesters,
            nodes,
            challengers,
            versions
        );
        _targetHandler(handler, _selectors());
    }

    /// @dev The handler's actions, weighted by repetition: the optimistic life cycle more often than the rest.
    function _selectors() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](38);
        uint256 i;
        for (uint256 k; k < 3; ++k) {
            s[i++] = DisputesHandler.request.selector;
            s[i++] = DisputesHandler.proposeNew.selector;
            s[i++] = DisputesHandler.challenge.selector;
            s[i++] = DisputesHandler.warp.selector;
        }
        for (uint256 k; k < 2; ++k) {
            s[i++] = DisputesHandler.claim.selector;
            s[i++] = DisputesHandler.claim.selector;
            s[i++] = DisputesHandler.proposeClaimed.selector;
            s[i++] = DisputesHandler.arbitrate.selector;
            s[i++] = DisputesHandler.finalize.selector;
            s[i++] = BaseHandler.withdrawStake.selector;
        }
        s[i++] = DisputesHandler.resolveTimeout.selector;
        s[i++] = DisputesHandler.finalizeBatch.selector;
        s[i++] = DisputesHandler.expire.selector;
        s[i++] = DisputesHandler.reportMissedDeadline.selector;
        s[i++] = BaseHandler.stake.selector;
        s[i++] = BaseHandler.requestUnstake.selector;
        s[i++] = DisputesHandler.withdraw.selector;
        s[i++] = DisputesHandler.claimRewards.selector;
        s[i++] = DisputesHandler.setParameters.selector;
        s[i++] = DisputesHandler.poke.selector;
        s[i++] = DisputesHandler.poke.selector;
        s[i++] = DisputesHandler.resolveTimeout.selector;
        s[i++] = BaseHandler.stake.selector;
        s[i++] = DisputesHandler.exitBeforeFinality.selector;
        assert(i == s.length);
    }

    /// @notice (6) Not vacuous: while the escrow is paused, a fixed sequence through the handler has the arbitrator
    /// rule, a timeout resolve, a proposal finalize and a node withdraw (each predicted, and accepted), and a new
    /// request refused.
    function test_disputesResolveWhilePaused() public {
        for (uint256 i; i < 3; ++i) {
            handler.request(i, 2, 1e6, 600, 1 days, 0, true);
            handler.proposeNew(i, i, 1);
        }
        handler.challenge(0, 0);
        handler.challenge(2, 1);
        handler.setParameters(1e6, 2 hours, 1, 1 hours, 0, 20_000, 0);
        assertTrue(escrow.config().paused, "paused");
        handler.request(0, 2, 1e6, 600, 1 days, 0, true);
        handler.arbitrate(0, 2, 2);
        handler.warp(0);
        handler.finalize(1, 1);
        handler.resolveTimeout(2, 0);
        handler.withdraw(3, 5);

        assertEq(handler.refusals("request"), 1, "request refused while paused");
        assertEq(handler.successes("dispute resolved while paused"), 2, "arbitration and timeout while paused");
        assertEq(handler.successes("finalize while paused"), 1, "finalize while paused");
        assertEq(handler.successes("withdraw while paused"), 1, "withdraw while paused");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    // ------------------------------------------------------------------------------------------------ invariants

    /// @notice (a) The escrow holds exactly what it owes in the payment token: account balances, the payments of jobs
    /// not yet terminal (Open, Claimed, Proposed, Disputed), and the models' royalties and protocol fees; the dispute
    /// manager holds exactly the bonds of its open disputes. Each account, model and bond also matches the ghost.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 250
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 500
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_paymentTokenConserved() public view {
        uint256 bonds;
        for (uint256 i; i < handler.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, , , ) = handler.jobAt(i);
            JobId id = _jobId(job);
            IDisputeManager.Dispute memory d = disputes.disputeOf(id);
            if (d.challenger != address(0) && !d.resolved) {
                assertEq(
                    uint8(escrow.jobStatus(id)),
                    uint8(IInferenceEscrow.JobStatus.Disputed),
                    "an open dispute's job is Disputed"
                );
                bonds += d.bond;
            }
        }
        assertEq(usd.balanceOf(address(escrow)), _escrowOwed(), "escrow: payment token held == owed");
        assertEq(bonds, handler.ghostOpenBonds(), "open bonds vs ghost");
        assertEq(usd.balanceOf(address(disputes)), bonds, "dispute manager: payment token held == open bonds");
        _assertNoViolation();
    }

    /// @notice (b) The staking contract holds exactly every node's staked + thawing stake plus unclaimed slash rewards
    /// (challengers', requesters', the treasury's); each node's stake record and each reward match the ghost.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 250
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 500
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_stakingTokenConserved() public view {
        _assertStakingTokenConserved();
    }

    /// @notice (c) Every job is in exactly the status the model predicts, its stored commitment is the hash of its
    /// parameters, claim and proposal, and its dispute record is the snapshot taken when it was challenged. A terminal
    /// job never moves again: the handler pokes terminal (and disputed) jobs with every action and counts any that is
    /// accepted as a violation, and its model refuses to move a job out of a terminal status.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 250
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 500
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_jobStatusesMatchModel() public view {
        for (uint256 i; i < handler.jobCount(); ++i) {
            (
                IInferenceEscrow.Job memory job,
                IInferenceEscrow.Claim memory c,
                IInferenceEscrow.Proposal memory p,
                IInferenceEscrow.JobStatus s
            ) = handler.jobAt(i);
            JobId id = _jobId(job);
            assertEq(uint8(escrow.jobStatus(id)), uint8(s), "status vs model");
            assertTrue(s != IInferenceEscrow.JobStatus.None, "every requested job has a status");
            bytes32 h = p.challengeEnds == 0 ? keccak256(abi.encode(job, c)) : keccak256(abi.encode(job, c, p));
            assertEq(
                escrow.jobCommitment(id),
                (h & ~bytes32(uint256(0xff))) | bytes32(uint256(uint8(s))),
                "commitment"
            );
            assertEq(
                keccak256(abi.encode(disputes.disputeOf(id))),
                keccak256(abi.encode(handler.disputeAt(i))),
                "dispute"
            );
        }
        assertEq(escrow.config().paused, handler.ghostPaused(), "pause vs model");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice (d) slashed <= locked <= staked: each node's locked collateral is the sum of the collateral of its
    /// Claimed, Proposed and Disputed jobs and never exceeds its staked + thawing stake; every slash took exactly the
    /// collateral locked for its job (never more; checked by the handler at each slash, measured on the staking
    /// contract); what slashes credited (challenger's or requester's reward + treasury share) equals what they took.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 250
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 500
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_slashWithinLockedWithinStake() public view {
        _assertLockedCollateral();
    }

    /// @notice (e) No exit before finality: the collateral of every Proposed or Disputed job stays covered by its
    /// node's staked + thawing stake; after every accepted withdrawStake, staked + thawing >= locked (the handler
    /// checks it on the contracts right after the call), and a withdrawStake attempted while locked > staked is
    /// refused (a prediction of the model, so an acceptance is a violation).
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 250
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 500
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_noExitBeforeFinality() public view {
        uint256[3] memory pending;
        for (uint256 i; i < handler.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, IInferenceEscrow.Claim memory c, , IInferenceEscrow.JobStatus s) = handler
                .jobAt(i);
            if (s != IInferenceEscrow.JobStatus.Proposed && s != IInferenceEscrow.JobStatus.Disputed) continue;
            for (uint256 k; k < 3; ++k) {
                if (nodes[k] == c.node) pending[k] += job.collateral;
            }
        }
        for (uint256 k; k < 3; ++k) {
            INodeStaking.Node memory n = staking.getNode(nodes[k]);
            assertLe(pending[k], uint256(n.staked) + n.thawing, "collateral of unfinal results covered by stake");
        }
        assertEq(handler.violations(), 0, handler.firstViolation());
    }
}

/// @notice Drives bounded random sequences of optimistic-mode escrow, dispute and staking actions by a few requesters,
/// nodes and challengers, and keeps an independent model of what every account, node, model, job and dispute should
/// hold (the ghosts). Every action predicts whether the contracts must accept it; a contract that refuses an action it
/// should accept, or accepts one it should refuse, is recorded as a violation (the invariant test asserts there are
/// none). Slashes are also measured on the staking contract around each call. The handler itself never reverts.
contract DisputesHandler is BaseHandler {
    uint8 internal constant MODE_OPTIMISTIC = 3;
    uint16 internal constant MAX_CHALLENGER_REWARD_BPS = 5_000;

    IDisputeManager public immutable disputes;
    address public immutable arbitrator2;

    address[3] internal _challengers;
    uint64[3] internal _versions;

    // Dispute parameters as the model knows them (snapshotted into disputes when they open).
    IDisputeManager.Params internal _disputeParams;

    uint256 public ghostOpenBonds;

    constructor(
        Deployment memory d,
        IDisputeManager disputes_,
        address arbitrator2_,
        address[3] memory requesters_,
        address[3] memory nodes_,
        address[3] memory challengers_,
        uint64[3] memory versions_
    ) BaseHandler(d, requesters_, nodes_) {
        disputes = disputes_;
        arbitrator2 = arbitrator2_;
        _challengers = challengers_;
        _versions = versions_;
        _models[0] = registry.versionTerms(versions_[0]).modelId;
        _models[1] = registry.versionTerms(versions_[1]).modelId;
        _disputeParams = disputes_.params();
    }

    // ------------------------------------------------------------------------------------------------ actions

    function request(
        uint256 actorSeed,
        uint256 versionSeed,
        uint256 payment,
        uint256 window,
        uint256 life,
        uint256 nodeSeed,
        bool prepaid
    ) external tick {
        _requestJob(
            actorSeed,
            _versions[versionSeed % 3],
            MODE_OPTIMISTIC,
            RequestSeeds(payment, window, life, nodeSeed, prepaid),
            ghostChallengeWindow
        );
    }

    /// @notice A node claims an open job (it proposes later, with `proposeClaimed`, or misses its deadline).
    function claim(uint256 jobSeed, uint256 nodeSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.OpenLive);
        if (!found) return;
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        address node = _nodes[nodeSeed % 3];
        bool expectOk = _canClaim(job, node);
        bool ok;
        vm.prank(node);
        try escrow.claim(job) {
            ok = true;
        } catch {}
        _expect(ok, expectOk, "claim");
        if (ok) _claimed(e, node);
    }

    /// @notice A node claims an open job, then proposes a result (claim first: the only way to propose). Another node
    /// that saw the output first tries to propose it without a claim (before the claim, and again after it with no
    /// claim and with the claimer's claim): each copy must be refused (issue 12, "copied optimistic proposal").
    function proposeNew(uint256 jobSeed, uint256 nodeSeed, uint256 honestSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.OpenLive);
        if (!found) return;
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        address node = _nodes[nodeSeed % 3];
        address copier = _nodes[((nodeSeed % 3) + 1) % 3];
        bool honest = honestSeed % 3 != 0;
        bytes memory output = _output(idx, honest);
        _expect(_copy(job, copier, IInferenceEscrow.Claim(address(0), 0), output), false, "copy before the claim");
        bool expectOk = _canClaim(job, node);
        bool ok;
        vm.prank(node);
        try escrow.claim(job) {
            ok = true;
        } catch {}
        _expect(ok, expectOk, "proposeNew claim");
        if (!ok) return;
        _claimed(e, node);
        _expect(_copy(job, copier, IInferenceEscrow.Claim(address(0), 0), output), false, "copy without a claim");
        _expect(_copy(job, copier, e.claim, output), false, "copy with the claimer's claim");
        ok = false;
        vm.prank(node);
        try escrow.proposeResult(job, e.claim, output) {
            ok = true;
        } catch {}
        _expect(ok, true, "proposeNew propose");
        if (ok) _proposed(e, honest, output);
    }

    /// @dev `copier` proposes `output` for `job` with claim `c`; returns whether the escrow accepted it.
    function _copy(
        IInferenceEscrow.Job memory job,
        address copier,
        IInferenceEscrow.Claim memory c,
        bytes memory output
    ) internal returns (bool ok) {
        vm.prank(copier);
        try escrow.proposeResult(job, c, output) {
            ok = true;
        } catch {}
        if (!ok) refusals["copy a proposal"]++;
    }

    /// @notice The claimer of a claimed job proposes a result (sometimes another node tries, and must be refused).
    function proposeClaimed(uint256 jobSeed, uint256 honestSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.ClaimedLive);
        if (!found) return;
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        address caller = callerSeed % 5 == 0 ? _nodes[(callerSeed / 5) % 3] : c.node;
        bool honest = honestSeed % 3 != 0;
        bytes memory output = _output(idx, honest);
        bool ok;
        vm.prank(caller);
        try escrow.proposeResult(job, c, output) {
            ok = true;
        } catch {}
        _expect(ok, caller == c.node && clock <= c.deliverBy, "proposeClaimed");
        if (ok) _proposed(e, honest, output);
    }

    /// @notice A challenger (sometimes the proposing node itself) challenges a proposal, posting its bond.
    function challenge(uint256 jobSeed, uint256 challengerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.ProposedInWindow);
        if (!found) return;
        Entry storage e = _jobs[idx];
        address challenger = challengerSeed % 8 == 7 ? e.claim.node : _challengers[challengerSeed % 3];
        bool expectOk = clock < e.proposal.challengeEnds;
        uint256 bond = _fundBond(challenger, e.job.payment);
        bool ok = _challenge(challenger, idx);
        _expect(ok, expectOk, "challenge");
        if (!ok) return;
        e.dispute = IDisputeManager.Dispute({
            challenger: challenger,
            bond: uint96(bond),
            deadline: uint40(clock) + _disputeParams.arbitrationPeriod,
            challengerRewardBps: _disputeParams.challengerRewardBps,
            resolved: false,
            arbitrator: _disputeParams.arbitrator
        });
        ghostOpenBonds += bond;
        _setStatus(e, IInferenceEscrow.JobStatus.Disputed);
    }

    /// @notice The handler plays the arbitrator: it rules a dispute (mostly according to the truth; sometimes a caller
    /// other than the dispute's arbitrator tries, or the node-right ruling comes with another output: both refused).
    function arbitrate(uint256 jobSeed, uint256 rulingSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.DisputedBeforeDeadline);
        if (!found) return;
        Entry storage e = _jobs[idx];
        IDisputeManager.Dispute memory d = e.dispute;
        address caller = d.arbitrator;
        if (callerSeed % 6 == 0) caller = d.arbitrator == gov ? arbitrator2 : gov;
        else if (callerSeed % 6 == 1) caller = d.challenger;
        bool nodeRight = rulingSeed % 4 == 0 ? !e.honest : e.honest;
        bool wrongOutput = nodeRight && rulingSeed % 7 == 1;
        bytes memory output =
            wrongOutput
                ? _output(idx, !e.honest)
                : nodeRight
                    ? e.output
                    : bytes("");
        bool expectOk = caller == d.arbitrator && clock < d.deadline && !wrongOutput;
        IInferenceEscrow.Ruling ruling =
            nodeRight ? IInferenceEscrow.Ruling.NodeRight : IInferenceEscrow.Ruling.NodeWrong;
        Measure memory m = _measure(e.claim.node);
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        IInferenceEscrow.Proposal memory p = e.proposal;
        bool ok;
        vm.prank(caller);
        try disputes.arbitrate(job, c, p, nodeRight, output) {
            ok = true;
        } catch {}
        _expect(ok, expectOk, nodeRight ? "arbitrate (node right)" : "arbitrate (node wrong)");
        if (!ok) return;
        if (ghostPaused) successes["dispute resolved while paused"]++;
        _resolved(idx, ruling, m);
    }

    /// @notice Anyone ends a dispute nobody ruled on by its deadline, as a draw.
    function resolveTimeout(uint256 jobSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.DisputedPastDeadline);
        if (!found) return;
        Entry storage e = _jobs[idx];
        Measure memory m = _measure(e.claim.node);
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        IInferenceEscrow.Proposal memory p = e.proposal;
        bool ok;
        vm.prank(_requesters[callerSeed % 3]);
        try disputes.resolveTimeout(job, c, p) {
            ok = true;
        } catch {}
        _expect(ok, clock >= e.dispute.deadline, "resolveTimeout");
        if (!ok) return;
        if (ghostPaused) successes["dispute resolved while paused"]++;
        _resolved(idx, IInferenceEscrow.Ruling.Draw, m);
    }

    /// @notice Anyone finalizes a proposal (sometimes with an output that is not the proposed one: refused).
    function finalize(uint256 jobSeed, uint256 outputSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.ProposedPastWindow);
        if (!found) return;
        Entry storage e = _jobs[idx];
        bool wrongOutput = outputSeed % 8 == 0;
        bytes memory output = wrongOutput ? _output(idx, !e.honest) : e.output;
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        IInferenceEscrow.Proposal memory p = e.proposal;
        bool ok;
        vm.prank(_challengers[outputSeed % 3]);
        try escrow.finalize(job, c, p, output) {
            ok = true;
        } catch {}
        _expect(ok, clock >= p.challengeEnds && !wrongOutput, "finalize");
        if (!ok) return;
        if (ghostPaused) successes["finalize while paused"]++;
        _settled(idx);
    }

    /// @notice Finalizes up to four proposals in one call. Sometimes lists a job twice, or adds one whose window is
    /// still open: the whole batch must then be refused.
    function finalizeBatch(uint256 jobSeed, uint256 count, uint256 flags) external tick {
        count = _bound(count, 1, 4);
        uint256 n = _jobs.length;
        if (n == 0) return;
        uint256[] memory picked = new uint256[](count + 1);
        uint256 k;
        uint256 open = type(uint256).max;
        for (uint256 i; i < n; ++i) {
            uint256 j = ((jobSeed % n) + i) % n;
            Entry storage e = _jobs[j];
            if (e.status != IInferenceEscrow.JobStatus.Proposed) continue;
            if (clock >= e.proposal.challengeEnds) {
                if (k < count) picked[k++] = j;
            } else if (open == type(uint256).max) {
                open = j;
            }
        }
        if (k == 0) return;
        bool duplicate = flags % 4 == 0;
        bool early = flags % 4 == 1 && open != type(uint256).max;
        if (duplicate) picked[k++] = picked[0];
        else if (early) picked[k++] = open;

        IInferenceEscrow.Job[] memory jobs = new IInferenceEscrow.Job[](k);
        IInferenceEscrow.Claim[] memory claims = new IInferenceEscrow.Claim[](k);
        IInferenceEscrow.Proposal[] memory proposals = new IInferenceEscrow.Proposal[](k);
        bytes[] memory outputs = new bytes[](k);
        for (uint256 i; i < k; ++i) {
            Entry storage e = _jobs[picked[i]];
            jobs[i] = e.job;
            claims[i] = e.claim;
            proposals[i] = e.proposal;
            outputs[i] = e.output;
        }
        bool ok;
        vm.prank(_requesters[flags % 3]);
        try escrow.finalizeBatch(jobs, claims, proposals, outputs) {
            ok = true;
        } catch {}
        _expect(ok, !duplicate && !early, "finalizeBatch");
        if (!ok) return;
        for (uint256 i; i < k; ++i) {
            _settled(picked[i]);
        }
    }

    function expire(uint256 jobSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.OpenExpired);
        if (!found) return;
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        bool ok;
        vm.prank(_challengers[callerSeed % 3]);
        try escrow.expire(job) {
            ok = true;
        } catch {}
        _expect(ok, clock >= job.expiresAt, "expire");
        if (!ok) return;
        ghostBalance[job.requester] += job.payment;
        _setStatus(e, IInferenceEscrow.JobStatus.Expired);
    }

    function reportMissedDeadline(uint256 jobSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, Want.ClaimedLate);
        if (!found) return;
        _reportMissedDeadline(idx, _challengers[callerSeed % 3]);
    }

    /// @notice Moves time forward: mostly minutes to hours (delivery and challenge windows), sometimes up to two days
    /// (arbitration deadlines, expiry), sometimes a week or two (thawing).
    function warp(uint256 secs) external {
        uint256 r = secs % 8;
        clock +=
            r == 0
                ? _bound(secs, 7 days, 15 days)
                : r < 3
                    ? _bound(secs, 1 hours, 2 days)
                    : _bound(secs, 1, 3 hours);
        vm.warp(clock);
    }

    function withdraw(uint256 actorSeed, uint256 amount) external tick {
        bool paused = ghostPaused;
        uint256 before = successes["withdraw"];
        _withdraw(_actor(actorSeed), amount);
        if (paused && successes["withdraw"] > before) successes["withdraw while paused"]++;
    }

    /// @notice (e) A node whose results are not final yet tries to exit: it requests to unstake everything, waits out
    /// the unbonding period (time jumps to its thaw end) and withdraws. Its live jobs' collateral exceeds its active
    /// stake (now zero), so the withdrawal must be refused; its thawing stake stays slashable for those jobs.
    function exitBeforeFinality(uint256 nodeSeed) external tick {
        address node;
        for (uint256 i; i < 3; ++i) {
            address candidate = _nodes[((nodeSeed % 3) + i) % 3];
            if (_pendingCollateral(candidate) != 0) {
                node = candidate;
                break;
            }
        }
        if (node == address(0)) return;
        NodeGhost storage g = ghostNode[node];
        if (g.staked != 0 && !_requestUnstake(node, g.staked)) return;
        if (clock < g.thawEnd) {
            clock = g.thawEnd;
            vm.warp(clock);
        }
        _withdrawStake(node);
    }

    function claimRewards(uint256 actorSeed) external tick {
        _claimRewards(actorSeed % 10 == 9 ? treasury : _actor(actorSeed));
    }

    /// @notice Governance moves the dispute parameters (bond, arbitration period, challenger reward, arbitrator), the
    /// challenge window, the protocol fee, the collateral rate and the pause (paused a third of the time: only new
    /// requests are refused, every other action is predicted as if unpaused). Open jobs and disputes keep their
    /// snapshots. A challenger reward above the hard cap must be refused.
    function setParameters(
        uint256 bond,
        uint256 period,
        uint256 reward,
        uint256 window,
        uint256 fee,
        uint256 rate,
        uint256 pauseSeed
    ) external tick {
        bool tooHigh = reward % 6 == 0;
        IDisputeManager.Params memory p = IDisputeManager.Params({
            bond: uint96(_bound(bond, 1, 5e6)),
            arbitrationPeriod: uint40(_bound(period, 1 hours, 3 days)),
            challengerRewardBps: uint16(tooHigh ? _bound(reward, 5_001, 10_000) : _bound(reward, 0, 5_000)),
            arbitrator: period % 2 == 0 ? gov : arbitrator2,
            equivocationSlash: _disputeParams.equivocationSlash
        });
        uint40 w = uint40(_bound(window, 1 minutes, 6 hours));
        uint16 f = uint16(_bound(fee, 0, 1_000));
        uint32 rt = uint32(_bound(rate, 0, 100_000));
        bool ok = true;
        vm.startPrank(gov);
        try disputes.setParams(p) {} catch {
            ok = false;
        }
        _expect(ok, !tooHigh, "setParams");
        if (ok) _disputeParams = p;
        ok = true;
        try escrow.setChallengeWindow(w) {} catch {
            ok = false;
        }
        try escrow.setProtocolFee(f) {} catch {
            ok = false;
        }
        try escrow.setCollateralRate(rt) {} catch {
            ok = false;
        }
        bool paused = pauseSeed % 3 == 0;
        try escrow.setPaused(paused) {} catch {
            ok = false;
        }
        vm.stopPrank();
        _expect(ok, true, "escrow parameters");
        if (!ok) return;
        ghostChallengeWindow = w;
        ghostFeeBps = f;
        ghostRate = rt;
        ghostPaused = paused;
    }

    /// @notice Tries to move a job that is terminal (or disputed, for the actions a dispute excludes): every attempt
    /// must be refused.
    function poke(uint256 jobSeed, uint256 actionSeed) external tick {
        uint256 n = _jobs.length;
        if (n == 0) return;
        uint256 idx = type(uint256).max;
        for (uint256 i; i < n; ++i) {
            uint256 j = ((jobSeed % n) + i) % n;
            IInferenceEscrow.JobStatus s = _jobs[j].status;
            if (isTerminal(s) || s == IInferenceEscrow.JobStatus.Disputed) {
                idx = j;
                break;
            }
        }
        if (idx == type(uint256).max) return;
        bool disputed = _jobs[idx].status == IInferenceEscrow.JobStatus.Disputed;
        // A disputed job can still be ruled on: only the actions a dispute excludes.
        bool ok = _poke(idx, (actionSeed / 3) % (disputed ? 7 : 9), actionSeed);
        _expect(ok, false, disputed ? "poke a disputed job" : "poke a terminal job");
    }

    /// @dev Tries action `action` (0 claim, 1 direct propose, 2 propose on the claim, 3 finalize, 4 challenge,
    /// 5 expire, 6 report a missed deadline, 7 arbitrate, 8 resolve by timeout) on tracked job `idx`.
    function _poke(uint256 idx, uint256 action, uint256 actionSeed) private returns (bool ok) {
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        IInferenceEscrow.Proposal memory p = e.proposal;
        bytes memory output = e.output.length != 0 ? e.output : _output(idx, true);
        address node = c.node != address(0) ? c.node : _nodes[actionSeed % 3];
        if (action == 0) {
            vm.prank(node);
            try escrow.claim(job) {
                ok = true;
            } catch {}
        } else if (action == 1) {
            vm.prank(node);
            try escrow.proposeResult(job, IInferenceEscrow.Claim(address(0), 0), output) {
                ok = true;
            } catch {}
        } else if (action == 2) {
            vm.prank(node);
            try escrow.proposeResult(job, c, output) {
                ok = true;
            } catch {}
        } else if (action == 3) {
            try escrow.finalize(job, c, p, output) {
                ok = true;
            } catch {}
        } else if (action == 4) {
            address challenger = _challengers[actionSeed % 3];
            _fundBond(challenger, job.payment);
            ok = _challenge(challenger, idx);
        } else if (action == 5) {
            try escrow.expire(job) {
                ok = true;
            } catch {}
        } else if (action == 6) {
            try escrow.reportMissedDeadline(job, c) {
                ok = true;
            } catch {}
        } else if (action == 7) {
            ok = _tryArbitrate(job, c, p, actionSeed % 2 == 0, output);
        } else {
            try disputes.resolveTimeout(job, c, p) {
                ok = true;
            } catch {}
        }
    }

    /// @dev Asks both arbitrators to rule (the first that is accepted counts).
    function _tryArbitrate(
        IInferenceEscrow.Job memory job,
        IInferenceEscrow.Claim memory c,
        IInferenceEscrow.Proposal memory p,
        bool nodeWasRight,
        bytes memory output
    ) private returns (bool ok) {
        vm.prank(gov);
        try disputes.arbitrate(job, c, p, nodeWasRight, output) {
            return true;
        } catch {}
        vm.prank(arbitrator2);
        try disputes.arbitrate(job, c, p, nodeWasRight, output) {
            return true;
        } catch {}
    }

    // ------------------------------------------------------------------------------------------------ views

    function jobAt(
        uint256 i
    )
        external
        view
        returns (
            IInferenceEscrow.Job memory,
            IInferenceEscrow.Claim memory,
            IInferenceEscrow.Proposal memory,
            IInferenceEscrow.JobStatus
        )
    {
        Entry storage e = _jobs[i];
        return (e.job, e.claim, e.proposal, e.status);
    }

    function disputeAt(uint256 i) external view returns (IDisputeManager.Dispute memory) {
        return _jobs[i].dispute;
    }

    /// @inheritdoc BaseHandler
    function accounts() public view override returns (address[] memory a) {
        a = new address[](10);
        for (uint256 i; i < 3; ++i) {
            a[i] = _requesters[i];
            a[3 + i] = _nodes[i];
            a[6 + i] = _challengers[i];
        }
        a[9] = treasury;
    }

    // ------------------------------------------------------------------------------------------------ internals

    /// @dev Mints `challenger` the bond a challenge of a job paying `payment` takes now, and approves it.
    function _fundBond(address challenger, uint256 payment) internal returns (uint256 bond) {
        bond = _disputeParams.bond > payment ? _disputeParams.bond : payment;
        usd.mint(challenger, bond);
        vm.prank(challenger);
        usd.approve(address(disputes), bond);
    }

    function _challenge(address challenger, uint256 idx) internal returns (bool ok) {
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        IInferenceEscrow.Claim memory c = e.claim;
        IInferenceEscrow.Proposal memory p = e.proposal;
        vm.prank(challenger);
        try disputes.challenge(job, c, p) {
            ok = true;
        } catch {}
    }

    function _canClaim(IInferenceEscrow.Job memory job, address node) internal view returns (bool) {
        NodeGhost storage g = ghostNode[node];
        return
            clock < job.expiresAt &&
            (job.node == address(0) || job.node == node) &&
            g.staked >= MIN_STAKE &&
            ghostLocked[node] + job.collateral <= g.staked + g.thawing;
    }

    function _claimed(Entry storage e, address node) internal {
        uint256 deliverBy = clock + e.job.deliveryWindow;
        if (deliverBy > e.job.expiresAt) deliverBy = e.job.expiresAt;
        e.claim = IInferenceEscrow.Claim(node, uint40(deliverBy));
        ghostLocked[node] += e.job.collateral;
        _setStatus(e, IInferenceEscrow.JobStatus.Claimed);
    }

    function _proposed(Entry storage e, bool honest, bytes memory output) internal {
        e.honest = honest;
        e.output = output;
        e.proposal = IInferenceEscrow.Proposal(keccak256(output), uint40(clock) + e.job.challengeWindow);
        _setStatus(e, IInferenceEscrow.JobStatus.Proposed);
    }

    /// @dev A proposal settled (finalized, or the arbitrator ruled the node right): the payment is split and the
    /// collateral unlocked.
    function _settled(uint256 idx) internal {
        Entry storage e = _jobs[idx];
        _creditSettlement(e.job, e.claim.node);
        ghostLocked[e.claim.node] -= e.job.collateral;
        _setStatus(e, IInferenceEscrow.JobStatus.Settled);
    }

    /// @dev A dispute ended: the bond to the node (node right) or back to the challenger, then settle or refund, and
    /// for a wrong node, slash exactly the job's collateral (checked against the measurement `m`).
    function _resolved(uint256 idx, IInferenceEscrow.Ruling ruling, Measure memory m) internal {
        Entry storage e = _jobs[idx];
        IDisputeManager.Dispute storage d = e.dispute;
        IInferenceEscrow.Job memory job = e.job;
        address node = e.claim.node;
        d.resolved = true;
        ghostOpenBonds -= d.bond;
        ghostBalance[ruling == IInferenceEscrow.Ruling.NodeRight ? node : d.challenger] += d.bond;
        if (ruling == IInferenceEscrow.Ruling.NodeRight) {
            _settled(idx);
            _checkSlash(m, node, 0, job.collateral, "arbitrate (node right)");
            return;
        }
        ghostLocked[node] -= job.collateral;
        ghostBalance[job.requester] += job.payment;
        _setStatus(e, IInferenceEscrow.JobStatus.Refunded);
        if (ruling == IInferenceEscrow.Ruling.NodeWrong) {
            _slash(node, job.collateral, d.challenger, d.challengerRewardBps);
            _checkSlash(m, node, job.collateral, job.collateral, "arbitrate (node wrong)");
        } else {
            _checkSlash(m, node, 0, job.collateral, "resolveTimeout");
        }
    }

    /// @dev Moves a job in the model; a terminal status never moves.
    /// @dev Collateral of `node`'s Proposed and Disputed jobs (results not final yet).
    function _pendingCollateral(address node) internal view override returns (uint256 sum) {
        for (uint256 i; i < _jobs.length; ++i) {
            Entry storage e = _jobs[i];
            if (
                e.claim.node == node &&
                (e.status == IInferenceEscrow.JobStatus.Proposed || e.status == IInferenceEscrow.JobStatus.Disputed)
            ) sum += e.job.collateral;
        }
    }

    function _output(uint256 idx, bool honest) internal pure returns (bytes memory) {
        return abi.encode(honest ? "true output" : "wrong output", idx);
    }

    /// @dev Requesters, nodes and challengers: every account with an escrow balance.
    function _actor(uint256 seed) internal view returns (address) {
        uint256 r = seed % 9;
        return
            r < 3
                ? _requesters[r]
                : r < 6
                    ? _nodes[r - 3]
                    : _challengers[r - 6];
    }

    /// @dev Which jobs an action looks for: a status, and a moment that makes the action acceptable.
    enum Want {
        OpenLive,
        OpenExpired,
        ClaimedLive,
        ClaimedLate,
        ProposedInWindow,
        ProposedPastWindow,
        DisputedBeforeDeadline,
        DisputedPastDeadline
    }

    /// @dev A job in the status `want` names, starting at a random place: mostly one at the moment that makes the
    /// action acceptable (if there is one), one time in four any job in that status, so refusals are exercised too.
    function _pick(uint256 seed, Want want) internal view returns (bool found, uint256 idx) {
        uint256 n = _jobs.length;
        if (n == 0) return (false, 0);
        IInferenceEscrow.JobStatus status =
            want <= Want.OpenExpired
                ? IInferenceEscrow.JobStatus.Open
                : want <= Want.ClaimedLate
                    ? IInferenceEscrow.JobStatus.Claimed
                    : want <= Want.ProposedPastWindow
                        ? IInferenceEscrow.JobStatus.Proposed
                        : IInferenceEscrow.JobStatus.Disputed;
        bool any = (seed / 7) % 4 == 0;
        for (uint256 i; i < n; ++i) {
            uint256 j = ((seed % n) + i) % n;
            Entry storage e = _jobs[j];
            if (e.status != status) continue;
            if (!found) (found, idx) = (true, j);
            if (any || _moment(e, want)) return (true, j);
        }
    }

    function _moment(Entry storage e, Want want) internal view returns (bool) {
        if (want == Want.OpenLive) return clock < e.job.expiresAt;
        if (want == Want.OpenExpired) return clock >= e.job.expiresAt;
        if (want == Want.ClaimedLive) return clock <= e.claim.deliverBy;
        if (want == Want.ClaimedLate) return clock > e.claim.deliverBy;
        if (want == Want.ProposedInWindow) return clock < e.proposal.challengeEnds;
        if (want == Want.ProposedPastWindow) return clock >= e.proposal.challengeEnds;
        if (want == Want.DisputedBeforeDeadline) return clock < e.dispute.deadline;
        return clock >= e.dispute.deadline;
    }
}
