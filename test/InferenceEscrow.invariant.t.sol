// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {IInferenceEscrow} from "../contracts/interfaces/IInferenceEscrow.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {INodeStaking} from "../contracts/interfaces/INodeStaking.sol";
import {IDisputeManager} from "../contracts/interfaces/IDisputeManager.sol";
import {ITeeRegistry} from "../contracts/interfaces/ITeeRegistry.sol";
import {JobId} from "../contracts/libraries/JobId.sol";
import {CANCEL_GRACE_PERIOD_SECONDS} from "../contracts/libraries/ConstantsLib.sol";
import {ISignedAttestationVerifier} from "../contracts/interfaces/ISignedAttestationVerifier.sol";
import {ITeeResultVerifier} from "../contracts/interfaces/ITeeResultVerifier.sol";
import {BaseHandler} from "./helpers/BaseHandler.sol";
import {isTerminal} from "./helpers/JobStatuses.sol";
import {ConservationInvariants} from "./helpers/ConservationInvariants.sol";

/// @notice Invariants of the registry, staking, TEE registry and escrow together over random sequences of deposits,
/// requests (prepaid and by transfer), claims, results (single, direct, batched; batches front-run by a cancel or
/// another node's fulfil), two-step cancellations (and cancels racing a direct fulfil in the same block), equivocation
/// reports over batch-signed results, expiries,
/// missed-deadline reports, withdrawals, stake moves, reward and royalty withdrawals, fee collection, governance changes
/// (fee, rate, pause), enclave key rotations and renewals, model transfers, version publications and deprecations,
/// actions by strangers on other accounts' state, and replays of signatures and attestations across jobs, nodes,
/// chains and deployments; driven by `EscrowHandler` across three requesters, three TEE nodes and three model owners,
/// with time moving forward. Runs x depth per invariant: the `default` and `deep` lines below (docs/invariants.md).
/// The handler checks every action's outcome against its model (see `EscrowHandler`), so the invariants also assert
/// that no action was wrongly accepted or refused.
contract InferenceEscrowInvariantTest is ConservationInvariants {
    EscrowHandler internal handler;
    address[3] internal requesters;

    function _base() internal view override returns (BaseHandler) {
        return handler;
    }

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
        // A second deployment of the TEE stack on the same chain: its signatures and attestations must not work here.
        ITeeRegistry tee2 = ITeeRegistry(_deploy("TeeRegistry", abi.encode(staking, attestation, gov)));
        handler = new EscrowHandler(
            _handlerDeployment(),
            EscrowHandler.Tee({
                registry: tee,
                verifier: teeVerifier,
                attestation: attestation,
                otherRegistry: tee2,
                otherVerifier: ITeeResultVerifier(_deploy("TeeResultVerifier", abi.encode(tee2, registry))),
                attestationSignerPk: attestationSignerPk,
                measurement: MEASUREMENT
            }),
            requesters,
            nodes,
            [modelOwner, makeAddr("modelOwner1"), makeAddr("modelOwner2")],
            pks,
            versions
        );
        _targetHandler(handler, _selectors());
    }

    /// @dev The handler's actions, weighted by repetition: more requests, claims, results and reports than the rest.
    function _selectors() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](35);
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
            s[i++] = EscrowHandler.strangerActs.selector;
        }
        s[i++] = EscrowHandler.fulfil.selector;
        s[i++] = EscrowHandler.batch.selector;
        s[i++] = EscrowHandler.cancel.selector;
        s[i++] = EscrowHandler.cancelRacesSubmit.selector;
        s[i++] = EscrowHandler.cancelRacesSubmit.selector;
        s[i++] = EscrowHandler.reportEquivocation.selector;
        s[i++] = EscrowHandler.expire.selector;
        s[i++] = EscrowHandler.withdraw.selector;
        s[i++] = BaseHandler.stake.selector;
        s[i++] = BaseHandler.requestUnstake.selector;
        s[i++] = BaseHandler.withdrawStake.selector;
        s[i++] = EscrowHandler.claimRewards.selector;
        s[i++] = EscrowHandler.withdrawRoyalties.selector;
        s[i++] = EscrowHandler.collectProtocolFees.selector;
        s[i++] = EscrowHandler.setParameters.selector;
        s[i++] = EscrowHandler.poke.selector;
        s[i++] = EscrowHandler.replay.selector;
        s[i++] = EscrowHandler.rotateKey.selector;
        s[i++] = EscrowHandler.transferModel.selector;
        s[i++] = EscrowHandler.publishVersion.selector;
        assert(i == s.length);
    }

    /// @notice The adversarial actions are not vacuous: a fixed sequence reaches every replay kind, every stranger
    /// action, a key rotation, a model transfer, a deprecation, and withdrawals, cancellations, expiries and reports
    /// while paused, with the outcomes the model predicts (all replays and stranger actions refused).
    function test_adversarialActionsAreExercised() public {
        for (uint256 i; i < 6; ++i) {
            handler.request(i, i * 4 + 1, 1e6, 600, 1 days, 0, i % 2 == 0);
        }
        handler.claim(0, 0);
        handler.claim(1, 1);
        for (uint256 k; k < 7; ++k) {
            handler.replay(k, k);
        }
        for (uint256 a; a < 9; ++a) {
            handler.strangerActs(a, a);
        }
        handler.rotateKey(0, 30 days, false);
        handler.transferModel(0, 1);
        handler.publishVersion(0, 0, 0, 3);
        handler.deposit(0, 5e6);
        handler.setParameters(0, 20_000, 0);
        handler.request(0, 1, 1e6, 600, 1 days, 0, true);
        handler.cancel(2, 1); // requests the cancel while paused
        handler.warp(1); // < the grace period: the cancel is refused
        handler.cancel(2, 1);
        handler.warp(2 * uint256(CANCEL_GRACE_PERIOD_SECONDS) + 1); // not a multiple of 4: seconds, not days
        handler.cancel(2, 1); // completes it while paused
        handler.withdraw(0, 3);
        handler.warp(0);
        handler.warp(0);
        handler.expire(3, 0);
        handler.reportMissedDeadline(0, 0);

        assertEq(handler.refusals("replay"), 7, "every replay kind tried and refused");
        assertEq(handler.refusals("strangerActs"), 9, "every stranger action tried and refused");
        assertEq(handler.successes("revoke key") + handler.successes("register key"), 2, "key rotated");
        assertEq(handler.refusals("re-register a revoked key"), 1, "revoked key not re-registered");
        assertEq(handler.refusals("deliver with a revoked key"), 1, "revoked key's signature refused");
        assertEq(handler.successes("transferModel"), 1, "model transferred");
        assertEq(handler.successes("deprecateVersion"), 1, "version deprecated");
        assertEq(handler.refusals("request"), 1, "request refused while paused");
        assertEq(handler.successes("requestCancel while paused"), 1, "cancel requested while paused");
        assertEq(handler.refusals("cancel"), 2, "cancel refused before a request and within the grace period");
        assertEq(handler.successes("cancel while paused"), 1, "cancel while paused");
        assertEq(handler.successes("withdraw while paused"), 1, "withdraw while paused");
        assertEq(handler.successes("expire while paused"), 1, "expire while paused");
        assertEq(handler.successes("reportMissedDeadline"), 1, "report while paused");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice Issue 12's races are not vacuous: a fulfil raced by a cancel on a fresh request is paid, a cancel that
    /// completes after its grace period wins against a late fulfil, a batch is front-run by a cancel and by another
    /// node's fulfil and settles the rest, and equivocation over batch-signed results is reported (once per key, by
    /// a stranger and by the node itself), slashing and revoking as modelled.
    function test_issue12RacesAreExercised() public {
        for (uint256 i; i < 8; ++i) {
            handler.request(0, i * 4 + 1, 1e6, 600, 1 days, 0, true);
        }
        // Job 0: a fresh request; the requester front-runs the fulfil with a cancel request: the fulfil is paid.
        handler.cancelRacesSubmit(0, 0, 0);
        assertEq(handler.successes("fulfil raced by a cancel"), 1, "fulfil paid despite the front-run");
        assertEq(handler.refusals("cancel"), 1, "the front-running cancel refused");
        // Job 1: a cancel requested, the grace period passed: the cancel wins, the batch of one is left out.
        handler.cancel(1, 1);
        handler.warp(2 * uint256(CANCEL_GRACE_PERIOD_SECONDS) + 1);
        handler.cancelRacesSubmit(1, 1, 0);
        assertEq(handler.successes("cancel"), 1, "cancel after the grace period");
        assertEq(handler.successes("batch left a moved job out"), 1, "the raced batch left the cancelled job out");
        // Jobs 2-4: a batch front-run by another node's direct fulfil (no cancel requested on job 2).
        handler.batch(2, 0, 3);
        assertEq(handler.successes("fulfil that front-runs a batch"), 1, "a rival fulfilled a batch job first");
        assertEq(handler.successes("batch"), 1, "the batch still settled");
        assertEq(handler.successes("batch left a moved job out"), 2, "and left the moved job out");
        // Equivocation over the batch-signed results: accepted once per key, refused afterwards.
        handler.reportEquivocation(0, 0); // a stranger reports, batch-of-one counter-signature
        handler.reportEquivocation(0, 0);
        assertEq(handler.successes("reportEquivocation over a batch signature"), 1, "equivocation reported once");
        assertEq(handler.refusals("reportEquivocation over a batch signature"), 1, "a second report refused");
        assertEq(handler.successes("register key after equivocation"), 1, "the node got a fresh key");
        handler.cancelRacesSubmit(5, 2, 0); // job 5, node 2: a batch of one, then reported by the node itself
        handler.reportEquivocation(3, 2);
        assertEq(handler.successes("self-reported equivocation"), 1, "the node reported itself from an account");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    // ------------------------------------------------------------------------------------------------ invariants

    /// @notice (1) The escrow holds exactly what it owes in the payment token: account balances, the payments of jobs
    /// not yet terminal, and the models' royalties and protocol fees. Each account and model also matches the ghost.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 80
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 300
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_paymentTokenConserved() public view {
        assertEq(usd.balanceOf(address(escrow)), _escrowOwed(), "payment token held == owed");
        _assertNoViolation();
    }

    /// @notice (1) The staking contract holds exactly every node's staked + thawing stake plus unclaimed slash rewards;
    /// each node's stake record and each reward match the ghost.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 80
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 300
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_stakingTokenConserved() public view {
        _assertStakingTokenConserved();
    }

    /// @notice (3) Each node's locked collateral is the sum of its claimed jobs' collateral and never exceeds its
    /// staked + thawing stake; every slash took exactly the job's collateral and credited reward + treasury == slashed.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 80
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 300
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_lockedCollateralWithinStake() public view {
        _assertLockedCollateral();
    }

    /// @notice (2) Every job is in exactly the status the model predicts, its stored commitment is the hash of its
    /// parameters and current claim, and a terminal job never moves again (the handler also pokes terminal jobs with
    /// every action and counts any that is accepted as a violation).
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 80
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 300
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_jobStatusesMatchModel() public view {
        for (uint256 i; i < handler.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, IInferenceEscrow.Claim memory c, IInferenceEscrow.JobStatus s) = handler
                .jobState(i);
            JobId id = _jobId(job);
            assertEq(uint8(escrow.jobStatus(id)), uint8(s), "status vs model");
            assertTrue(s != IInferenceEscrow.JobStatus.None, "every requested job has a status");
            assertEq(escrow.jobCommitment(id), _commitment(job, c, s), "commitment");
        }
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice (2) Payments are paid out once: what settlements credited (node fees, royalties, protocol fees, measured
    /// on the contracts) equals the payments of the settled jobs.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 80
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 300
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_paymentsPaidOnce() public view {
        uint256 settled;
        for (uint256 i; i < handler.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, , ) = handler.jobState(i);
            if (escrow.jobStatus(_jobId(job)) == IInferenceEscrow.JobStatus.Settled) settled += job.payment;
        }
        assertEq(handler.ghostCredited(), settled, "credited == payments of settled jobs");
        assertEq(handler.ghostSettledPayments(), settled, "settled payments vs model");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice (4, 5, 6) No stranger moved another account's state (every `strangerActs` call was refused and left
    /// every account's balance, lock, nonce, stake record, rewards, every model's accruals and every job untouched);
    /// no replayed signature or attestation (another job, node, chain or deployment) was accepted; and while paused,
    /// only requests were refused (withdrawals, cancellations, expiries and reports were predicted, and accepted, as if
    /// unpaused). The pause matches the model.
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 80
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 300
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_onlyOwnersAndFreshProofsMoveState() public view {
        assertEq(escrow.config().paused, handler.ghostPaused(), "pause vs model");
        assertEq(handler.successes("strangerActs"), 0, "a stranger moved someone else's state");
        assertEq(handler.successes("replay"), 0, "a replayed signature or attestation was accepted");
        assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice TEE key life cycle and registry: a revoked enclave key stays revoked and inactive (also after its node
    /// tried to re-register it with a fresh attestation); each node's current key is the one the model registered,
    /// unrevoked, with the model's expiry. Every published version's content is what was published (only the
    /// deprecated flag moves, and only as the model says); each model's ERC-721 owner is the model's, and only that
    /// owner withdrew its royalties (checked per call by the handler).
    /// hardhat-config: default.invariant.runs = 48
    /// hardhat-config: default.invariant.depth = 80
    /// hardhat-config: default.invariant.failOnRevert = true
    /// hardhat-config: deep.invariant.runs = 128
    /// hardhat-config: deep.invariant.depth = 300
    /// hardhat-config: deep.invariant.failOnRevert = true
    function invariant_keysAndVersionsAsModelled() public view {
        for (uint256 i; i < handler.revokedCount(); ++i) {
            (address key, address node) = handler.revokedAt(i);
            ITeeRegistry.EnclaveKey memory k = tee.getEnclaveKey(key);
            assertTrue(k.revoked, "a revoked key stays revoked");
            assertEq(k.node, node, "a revoked key keeps its node");
            assertFalse(tee.isActiveKey(key, node), "a revoked key is never active");
        }
        for (uint256 i; i < 3; ++i) {
            (address key, uint40 expiresAt) = handler.currentKey(nodes[i]);
            ITeeRegistry.EnclaveKey memory k = tee.getEnclaveKey(key);
            assertEq(k.node, nodes[i], "current key's node");
            assertFalse(k.revoked, "current key unrevoked");
            assertEq(k.expiresAt, expiresAt, "current key's expiry vs model");
        }
        for (uint256 i; i < handler.versionCount(); ++i) {
            (uint64 v, bytes32 content, bool deprecated) = handler.versionAt(i);
            IModelRegistry.Version memory ver = registry.getVersion(v);
            assertEq(ver.terms.deprecated, deprecated, "deprecated vs model");
            ver.terms.deprecated = false;
            assertEq(keccak256(abi.encode(ver)), content, "a published version never changes");
        }
        uint256[2] memory models = handler.models();
        for (uint256 i; i < 2; ++i) {
            address owner = handler.ghostModelOwner(models[i]);
            assertEq(registry.ownerOf(models[i]), owner, "ERC-721 owner vs model");
            assertEq(registry.modelOwner(models[i]), owner, "royalty recipient == ERC-721 owner");
        }
        assertEq(handler.violations(), 0, handler.firstViolation());
    }
}

/// @notice Drives bounded random sequences of registry, staking, TEE and escrow actions by a few requesters, TEE nodes
/// and model owners, and keeps an independent model of what every account, node, key, model, version and job should
/// hold (BaseHandler's ghosts plus the TEE keys and versions). It also plays adversaries: strangers acting on other
/// accounts' jobs, stakes, balances and royalties (invariant 4), and replays of enclave signatures and attestations for
/// another job, node, chain or deployment (invariant 5); governance pauses the escrow a third of the time (invariant 6).
contract EscrowHandler is BaseHandler {
    uint8 internal constant MODE_TEE = 1;
    /// @dev When true, batches repeat their first job, and the handler expects the escrow to refuse them. The current
    /// escrow settles such a batch twice (see the test report); keep false until that is fixed.
    bool internal constant DUPLICATES_IN_BATCH = false;

    /// @notice The TEE stack, plus a second deployment of it whose signatures must not work here.
    struct Tee {
        ITeeRegistry registry;
        ITeeResultVerifier verifier;
        ISignedAttestationVerifier attestation;
        ITeeRegistry otherRegistry;
        ITeeResultVerifier otherVerifier;
        uint256 attestationSignerPk;
        bytes32 measurement;
    }

    /// @dev One batch as the `batch` handler submits it, and which of its jobs a third party moved first.
    struct BatchRun {
        IInferenceEscrow.Job[] jobs;
        IInferenceEscrow.Claim[] claims;
        bytes[] outputs;
        bytes32[] hashes;
        bytes signature;
        bool[] moved;
    }

    /// @notice A result settled under a batch signature: the evidence an equivocation report can use.
    struct BatchSigned {
        uint256 idx;
        uint256 pk;
        bytes32[] hashes;
        uint256 index;
        bytes signature;
        bytes32 outputHash;
    }

    /// @notice The model of a node's current enclave key.
    struct KeyGhost {
        uint256 pk;
        uint40 expiresAt;
    }

    /// @notice A published version: its content hash (with deprecated = false) and whether it is deprecated.
    struct VersionGhost {
        uint64 id;
        bytes32 content;
        bool deprecated;
    }

    struct Revoked {
        address key;
        address node;
    }

    ITeeRegistry public immutable tee;
    ITeeResultVerifier public immutable teeVerifier;
    ISignedAttestationVerifier public immutable attestation;
    ITeeRegistry public immutable otherTee;
    ITeeResultVerifier public immutable otherTeeVerifier;
    uint256 internal immutable _attestationSignerPk;
    bytes32 public immutable measurement;
    address public immutable stranger = makeAddr("stranger");

    address[3] internal _owners;
    VersionGhost[] internal _versions;
    Revoked[] internal _revoked;
    mapping(address node => KeyGhost) internal _keys;
    BatchSigned[] internal _batchSigned;
    mapping(address enclaveKey => bool) internal _equivocated;
    uint256 internal _keyGeneration;

    mapping(uint256 modelId => address) public ghostModelOwner;
    /// @notice What settlements credited (node balances + model accruals), measured on the contracts around each call.
    uint256 public ghostCredited;
    /// @notice Payments of the jobs the handler saw settle.
    uint256 public ghostSettledPayments;

    constructor(
        Deployment memory d,
        Tee memory t,
        address[3] memory requesters_,
        address[3] memory nodes_,
        address[3] memory owners_,
        uint256[3] memory enclavePks_,
        uint64[2] memory versions_
    ) BaseHandler(d, requesters_, nodes_) {
        tee = t.registry;
        teeVerifier = t.verifier;
        attestation = t.attestation;
        otherTee = t.otherRegistry;
        otherTeeVerifier = t.otherVerifier;
        _attestationSignerPk = t.attestationSignerPk;
        measurement = t.measurement;
        _owners = owners_;
        for (uint256 i; i < 3; ++i) {
            _keys[nodes_[i]] = KeyGhost(enclavePks_[i], t.registry.getEnclaveKey(vm.addr(enclavePks_[i])).expiresAt);
        }
        for (uint256 i; i < 2; ++i) {
            _models[i] = registry.versionTerms(versions_[i]).modelId;
            ghostModelOwner[_models[i]] = registry.ownerOf(_models[i]);
            _recordVersion(versions_[i]);
        }
    }

    // ------------------------------------------------------------------------------------------------ actions

    function deposit(uint256 actorSeed, uint256 amount) external tick {
        _deposit(_requesters[actorSeed % 3], _bound(amount, 1, 50e6));
    }

    /// @notice A requester requests a job of any version (a deprecated one, or while paused: refused).
    function request(
        uint256 actorSeed,
        uint256 versionSeed,
        uint256 payment,
        uint256 window,
        uint256 life,
        uint256 nodeSeed,
        bool prepaid
    ) external tick {
        // Mostly the two long-lived versions, sometimes one published during the run.
        uint256 v = versionSeed % 4 == 0 ? (versionSeed / 4) % _versions.length : versionSeed % 2;
        _requestJob(actorSeed, _versions[v].id, MODE_TEE, RequestSeeds(payment, window, life, nodeSeed, prepaid), 0);
    }

    function claim(uint256 jobSeed, uint256 nodeSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
        if (!found) return;
        Entry storage e = _jobs[idx];
        address node = _nodes[nodeSeed % 3];
        NodeGhost storage g = ghostNode[node];
        bool expectOk =
            clock < e.job.expiresAt &&
                (e.job.node == address(0) || e.job.node == node) &&
                g.staked >= MIN_STAKE &&
                ghostLocked[node] + e.job.collateral <= g.staked + g.thawing;
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
        bytes memory sig = _sign(_keys[c.node].pk, job, output);
        uint256 before = _credits(c.node);
        bool ok;
        vm.prank(c.node);
        try escrow.submitResult(job, c, output, sig) {
            ok = true;
        } catch {}
        _expect(ok, clock <= c.deliverBy && _keyLive(c.node), "submit");
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
        bytes memory sig = _sign(_keys[node].pk, job, output);
        uint256 before = _credits(node);
        bool ok;
        vm.prank(node);
        try escrow.submitResult(job, IInferenceEscrow.Claim(address(0), 0), output, sig) {
            ok = true;
        } catch {}
        _expect(ok, _canFulfil(job, node), "fulfil");
        if (!ok) return;
        ghostCredited += _credits(node) - before;
        _settled(idx, node, false);
    }

    function batch(uint256 jobSeed, uint256 nodeSeed, uint256 count) external tick {
        address node = _nodes[nodeSeed % 3];
        if (!_keyLive(node)) return;
        count = _bound(count, 1, 3);
        (uint256[] memory picked, uint256 k) = _pickBatch(jobSeed, node, count);
        if (k == 0) return;
        // Sometimes list a job twice: the escrow must refuse the whole batch (it once paid such a job twice).
        bool duplicate = DUPLICATES_IN_BATCH || (count % 2 == 0 && jobSeed % 4 == 0);
        if (duplicate) picked[k++] = picked[0];
        BatchRun memory b = _buildBatch(picked, k, node);
        // Sometimes a third party moves one open job of the batch first (its requester completes a cancel, or another
        // node fulfils it): the batch must leave that job out and settle the rest (issue 12).
        if (!duplicate && (count / 4) % 2 == 0) _frontRunBatch(picked, b.claims, b.moved, k, node, jobSeed);
        uint256 before = _credits(node);
        bool ok;
        vm.prank(node);
        try escrow.submitBatch(b.jobs, b.claims, b.outputs, b.signature) {
            ok = true;
        } catch {}
        _expect(ok, !duplicate, "batch");
        if (!ok) return;
        ghostCredited += _credits(node) - before;
        for (uint256 i; i < k; ++i) {
            if (b.moved[i]) {
                successes["batch left a moved job out"]++;
                continue;
            }
            _settled(picked[i], node, b.claims[i].node != address(0));
            _recordBatch(picked[i], _keys[node].pk, b.hashes, i, b.signature, keccak256(b.outputs[i]));
        }
    }

    /// @dev Up to `count` tracked jobs `node` can deliver now (claimed by it, or open to it), from `jobSeed` on; one
    /// slot more is allocated for a duplicate.
    function _pickBatch(
        uint256 jobSeed,
        address node,
        uint256 count
    ) private view returns (uint256[] memory picked, uint256 k) {
        uint256 n = _jobs.length;
        picked = new uint256[](count + 1);
        for (uint256 i; i < n && k < count; ++i) {
            uint256 j = ((jobSeed % n) + i) % n;
            Entry storage e = _jobs[j];
            bool claimedByNode =
                e.status == IInferenceEscrow.JobStatus.Claimed && e.claim.node == node && clock <= e.claim.deliverBy;
            bool openForNode = e.status == IInferenceEscrow.JobStatus.Open && _canFulfil(e.job, node);
            if (claimedByNode || openForNode) picked[k++] = j;
        }
    }

    /// @dev The batch of the first `k` picked jobs, with one output each, signed by `node`'s enclave key.
    function _buildBatch(uint256[] memory picked, uint256 k, address node) private view returns (BatchRun memory b) {
        b.jobs = new IInferenceEscrow.Job[](k);
        b.claims = new IInferenceEscrow.Claim[](k);
        b.outputs = new bytes[](k);
        b.hashes = new bytes32[](k);
        b.moved = new bool[](k);
        for (uint256 i; i < k; ++i) {
            Entry storage e = _jobs[picked[i]];
            b.jobs[i] = e.job;
            b.claims[i] = e.claim;
            b.outputs[i] = abi.encode(picked[i], clock, "batch");
            b.hashes[i] = _resultHash(e.job, keccak256(b.outputs[i]));
        }
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_keys[node].pk, teeVerifier.batchDigest(b.hashes));
        b.signature = abi.encodePacked(r, s, v);
    }

    /// @dev Moves the first open job of a picked batch before the batch lands: its requester completes a cancel if the
    /// grace period allows, else another node fulfils it directly if it can. Marks it in `moved`.
    function _frontRunBatch(
        uint256[] memory picked,
        IInferenceEscrow.Claim[] memory claims,
        bool[] memory moved,
        uint256 k,
        address node,
        uint256 seed
    ) internal {
        for (uint256 i; i < k; ++i) {
            if (claims[i].node != address(0)) continue;
            uint256 idx = picked[i];
            Entry storage e = _jobs[idx];
            if (e.cancellableAt != 0 && clock >= e.cancellableAt) {
                moved[i] = _tryCancel(idx, e.job.requester);
                return;
            }
            address rival = _otherNode(node, seed);
            if (!_canFulfil(e.job, rival)) return;
            bytes memory output = abi.encode(idx, clock, rival, "front-run");
            bytes memory sig = _sign(_keys[rival].pk, e.job, output);
            uint256 before = _credits(rival);
            vm.prank(rival);
            try escrow.submitResult(e.job, IInferenceEscrow.Claim(address(0), 0), output, sig) {
                moved[i] = true;
            } catch {}
            _expect(moved[i], true, "fulfil that front-runs a batch");
            if (!moved[i]) return;
            ghostCredited += _credits(rival) - before;
            _settled(idx, rival, false);
            return;
        }
    }

    /// @notice The two-step cancel (issue 12, "free inference by cancel"): completes a requested cancel (refused before
    /// the grace period ends, or with none requested), else requests one. Mostly the requester; sometimes someone
    /// else, who must be refused.
    function cancel(uint256 jobSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
        if (!found) return;
        address caller = callerSeed % 5 == 0 ? _requesters[(callerSeed / 5) % 3] : _jobs[idx].job.requester;
        if (!_tryCancel(idx, caller) && _jobs[idx].cancellableAt == 0) _tryRequestCancel(idx, caller);
    }

    /// @notice A requester front-runs a node's direct fulfil (single-signed or batch-signed, a batch of one) with a
    /// cancel in the same block, as one who read the output from the mempool would: the cancel must succeed only
    /// after a grace period that began before (so never for a fulfil sent on a fresh request), the fulfil must
    /// succeed whenever the cancel did not, and the node is paid for it.
    function cancelRacesSubmit(uint256 jobSeed, uint256 nodeSeed, uint256 formSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
        if (!found) return;
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        address node = _nodes[nodeSeed % 3];
        bytes memory output = abi.encode(idx, clock, node, "raced");
        bool asBatch = formSeed % 2 == 0;
        bytes memory sig = asBatch ? _signBatchOfOne(_keys[node].pk, job, output) : _sign(_keys[node].pk, job, output);
        // The requester's front-run: complete the cancel if it can, else (sometimes) start one.
        bool cancelled = _tryCancel(idx, job.requester);
        if (!cancelled && e.cancellableAt == 0 && (formSeed / 2) % 2 == 0) _tryRequestCancel(idx, job.requester);
        uint256 before = _credits(node);
        bool ok;
        vm.prank(node);
        if (asBatch) {
            IInferenceEscrow.Job[] memory jobs = new IInferenceEscrow.Job[](1);
            IInferenceEscrow.Claim[] memory claims = new IInferenceEscrow.Claim[](1);
            bytes[] memory outputs = new bytes[](1);
            (jobs[0], outputs[0]) = (job, output);
            try escrow.submitBatch(jobs, claims, outputs, sig) {
                ok = true;
            } catch {}
            // A batch whose only job was cancelled first is accepted but settles nothing (ResultSkipped).
            // A job cancelled first or past its deadline is left out (ResultSkipped): the batch is still accepted.
            bool fulfillable = !cancelled && clock < job.expiresAt;
            bool active = ghostNode[node].staked >= MIN_STAKE && _keyLive(node);
            _expect(ok, active && (!fulfillable || job.node == address(0) || job.node == node), "raced batch of one");
            if (!ok) return;
            if (!fulfillable) {
                if (_credits(node) != before) _violation("a batch credited a job it left out");
                successes["batch left a moved job out"]++;
                return;
            }
            _recordBatchSigned(idx, node, job, output, sig);
        } else {
            try escrow.submitResult(job, IInferenceEscrow.Claim(address(0), 0), output, sig) {
                ok = true;
            } catch {}
            _expect(ok, !cancelled && _canFulfil(job, node), "raced fulfil");
            if (!ok) return;
        }
        ghostCredited += _credits(node) - before;
        _settled(idx, node, false);
        successes["fulfil raced by a cancel"]++;
    }

    /// @notice An equivocation report over a batch-signed result (issue 12, "equivocation escapes through batch
    /// signatures"): the key that signed a settled batch signs another output for the same version and input, as a
    /// batch of one or a single result, and a reporter (a stranger, a requester, or the node itself through another
    /// account: it only recovers the reward share) reports both. Must be accepted once per key; the node loses the
    /// penalty (only when its free stake covers it: the debt path is in test/attacks/equivocation.ts), the key is
    /// revoked and the node gets a fresh key.
    function reportEquivocation(uint256 seed, uint256 reporterSeed) external tick {
        uint256 n = _batchSigned.length;
        if (n == 0) return;
        BatchSigned storage r = _batchSigned[seed % n];
        Entry storage e = _jobs[r.idx];
        address key = vm.addr(r.pk);
        address node = tee.getEnclaveKey(key).node;
        IDisputeManager disputes = IDisputeManager(escrow.disputeManager());
        IDisputeManager.Params memory params = disputes.params();
        NodeGhost storage g = ghostNode[node];
        if (!_equivocated[key] && g.staked + g.thawing < ghostLocked[node] + params.equivocationSlash) return;
        IDisputeManager.SignedResult memory a = IDisputeManager.SignedResult({
            jobId: _jobId(e.job),
            versionId: e.job.versionId,
            inputHash: e.job.inputDigest,
            outputHash: r.outputHash,
            signature: r.signature,
            batch: r.hashes,
            index: r.index
        });
        bytes memory other = abi.encode("equivocated", seed);
        bool asBatch = seed % 2 == 0;
        IDisputeManager.SignedResult memory b = IDisputeManager.SignedResult({
            jobId: _jobId(e.job),
            versionId: e.job.versionId,
            inputHash: e.job.inputDigest,
            outputHash: keccak256(other),
            signature: asBatch ? _signBatchOfOne(r.pk, e.job, other) : _sign(r.pk, e.job, other),
            batch: new bytes32[](asBatch ? 1 : 0),
            index: 0
        });
        if (asBatch) b.batch[0] = _resultHash(e.job, keccak256(other));
        address reporter =
            reporterSeed % 3 == 0
                ? stranger
                : reporterSeed % 3 == 1
                    ? _requesters[reporterSeed % 3]
                    : node;
        bool ok;
        Measure memory m = _measure(node);
        vm.prank(reporter);
        try disputes.reportEquivocation(a, b) {
            ok = true;
        } catch {}
        _expect(ok, !_equivocated[key], "reportEquivocation over a batch signature");
        if (!ok) return;
        _equivocated[key] = true;
        _checkSlash(m, node, params.equivocationSlash, params.equivocationSlash, "reportEquivocation");
        _slash(node, params.equivocationSlash, reporter, params.challengerRewardBps);
        if (reporter == node) successes["self-reported equivocation"]++;
        if (key != vm.addr(_keys[node].pk)) return; // an older key, already revoked by a rotation
        _revoked.push(Revoked(key, node));
        KeyGhost storage k = _keys[node];
        k.pk = uint256(keccak256(abi.encode("fresh enclave after equivocation", ++_keyGeneration)));
        k.expiresAt = uint40(clock + 30 days);
        _expect(_register(node, k.pk, k.expiresAt), true, "register key after equivocation");
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
        if (ghostPaused) successes["expire while paused"]++;
        ghostBalance[job.requester] += job.payment;
        _jobs[idx].status = IInferenceEscrow.JobStatus.Expired;
    }

    function reportMissedDeadline(uint256 jobSeed, uint256 callerSeed) external tick {
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Claimed);
        if (!found) return;
        _reportMissedDeadline(idx, _requesters[callerSeed % 3]);
    }

    /// @notice Moves time forward: mostly minutes to hours (delivery windows), sometimes a day or two (expiry, thawing,
    /// key expiry).
    function warp(uint256 secs) external {
        clock += secs % 4 == 0 ? _bound(secs, 1 days, 2 days) : _bound(secs, 1, 3 hours);
        vm.warp(clock);
    }

    function withdraw(uint256 actorSeed, uint256 amount) external tick {
        bool paused = ghostPaused;
        uint256 before = successes["withdraw"];
        _withdraw(actorSeed % 2 == 0 ? _requesters[(actorSeed / 2) % 3] : _nodes[(actorSeed / 2) % 3], amount);
        if (paused && successes["withdraw"] > before) successes["withdraw while paused"]++;
    }

    function claimRewards(uint256 actorSeed) external tick {
        _claimRewards(actorSeed % 4 == 3 ? treasury : _requesters[actorSeed % 4]);
    }

    /// @notice The model's owner withdraws its royalties to itself (sometimes a former or other owner tries: refused).
    function withdrawRoyalties(uint256 modelSeed, uint256 callerSeed) external tick {
        uint256 modelId = _models[modelSeed % 2];
        address owner = ghostModelOwner[modelId];
        address caller = callerSeed % 4 == 0 ? _owners[callerSeed % 3] : owner;
        uint256 amount = ghostRoyalties[modelId];
        uint256 before = usd.balanceOf(caller);
        bool ok;
        vm.prank(caller);
        try escrow.withdrawRoyalties(modelId, caller) {
            ok = true;
        } catch {}
        _expect(ok, caller == owner && amount != 0, "withdrawRoyalties");
        if (!ok) return;
        if (usd.balanceOf(caller) - before != amount) _violation("withdrawRoyalties: paid a different amount");
        ghostRoyalties[modelId] = 0;
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

    /// @notice Governance moves the fee, the collateral rate and the pause (a third of the time paused; jobs already
    /// open keep their terms).
    function setParameters(uint256 feeBps, uint256 rate, uint256 pauseSeed) external tick {
        uint16 f = uint16(_bound(feeBps, 0, 1_000));
        uint32 rt = uint32(_bound(rate, 0, 100_000));
        bool paused = pauseSeed % 3 == 0;
        vm.startPrank(gov);
        escrow.setProtocolFee(f);
        escrow.setCollateralRate(rt);
        escrow.setPaused(paused);
        vm.stopPrank();
        ghostFeeBps = f;
        ghostRate = rt;
        ghostPaused = paused;
        successes["setParameters"]++;
    }

    /// @notice Tries to move a job that reached a terminal state: every attempt must be refused.
    function poke(uint256 jobSeed, uint256 actionSeed) external tick {
        uint256 n = _jobs.length;
        if (n == 0) return;
        uint256 idx = type(uint256).max;
        for (uint256 i; i < n; ++i) {
            uint256 j = ((jobSeed % n) + i) % n;
            if (isTerminal(_jobs[j].status)) {
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
        bytes memory sig = _sign(_keys[node].pk, job, output);
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

    /// @notice (4) Someone who does not own a piece of state tries to move it: cancel another's job, deliver or
    /// re-claim another node's claim, report a claim before its deadline, withdraw another's balance, stake, rewards or
    /// royalties, unstake another's stake, revoke another node's enclave key. Every attempt must be refused, and no
    /// account's balance, lock, nonce, stake, thaw request or rewards, no model's accruals and no job may change.
    function strangerActs(uint256 jobSeed, uint256 actionSeed) external tick {
        uint256 action = actionSeed % 9;
        // The stranger is an outsider, or one of the actors acting on someone else's state.
        address actor = (actionSeed / 9) % 2 == 0 ? stranger : _nodes[(actionSeed / 18) % 3];
        bytes32 before = _stateHash();
        bool ok;
        if (action == 0) {
            (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
            if (!found) return;
            vm.prank(actor);
            try escrow.requestCancel(_jobs[idx].job) {
                ok = true;
            } catch {}
            vm.prank(actor);
            try escrow.cancel(_jobs[idx].job) {
                ok = true;
            } catch {}
        } else if (action == 1 || action == 2 || action == 3) {
            (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Claimed);
            if (!found) return;
            Entry storage e = _jobs[idx];
            IInferenceEscrow.Job memory job = e.job;
            IInferenceEscrow.Claim memory c = e.claim;
            address other = _otherNode(c.node, actionSeed);
            if (action == 1) {
                // Another node delivers with its own valid enclave signature.
                bytes memory output = abi.encode("stolen", idx);
                bytes memory sig = _sign(_keys[other].pk, job, output);
                vm.prank(other);
                try escrow.submitResult(job, c, output, sig) {
                    ok = true;
                } catch {}
            } else if (action == 2) {
                vm.prank(other);
                try escrow.claim(job) {
                    ok = true;
                } catch {}
            } else {
                if (clock > c.deliverBy) return;
                vm.prank(actor);
                try escrow.reportMissedDeadline(job, c) {
                    ok = true;
                } catch {}
            }
        } else if (action == 4) {
            uint256 victimBalance = ghostBalance[_requesters[jobSeed % 3]];
            vm.prank(stranger);
            try escrow.withdraw(victimBalance == 0 ? 1 : victimBalance, stranger) {
                ok = true;
            } catch {}
        } else if (action == 5) {
            vm.prank(stranger);
            try staking.requestUnstake(_bound(jobSeed, 1, 1_000e18)) {
                ok = true;
            } catch {}
        } else if (action == 6) {
            vm.prank(stranger);
            try staking.withdrawStake(stranger) {
                ok = true;
            } catch {}
        } else if (action == 7) {
            address victim = _nodes[jobSeed % 3];
            address thief = _nodes[((jobSeed % 3) + 1) % 3];
            vm.prank(thief);
            try tee.revokeEnclaveKey(vm.addr(_keys[victim].pk)) {
                ok = true;
            } catch {}
        } else {
            uint256 modelId = _models[jobSeed % 2];
            address notOwner = ghostModelOwner[modelId] == _owners[0] ? _owners[1] : _owners[0];
            vm.prank(jobSeed % 3 == 0 ? stranger : notOwner);
            try escrow.withdrawRoyalties(modelId, notOwner) {
                ok = true;
            } catch {}
        }
        _expect(ok, false, "strangerActs");
        if (_stateHash() != before) _violation("strangerActs: another account's state changed");
    }

    /// @notice (5) Replays an enclave signature or an attestation where it is not valid: a result signed for another
    /// job, by another node's key, for another escrow address, under another chain id, or through a second
    /// deployment's verifier; an attestation for another node, or for the second deployment's registry. The job
    /// picked could otherwise be fulfilled by the node (so only the replay is at fault): every replay must be refused.
    function replay(uint256 jobSeed, uint256 kindSeed) external tick {
        uint256 kind = kindSeed % 7;
        if (kind >= 5) {
            _replayAttestation(kind == 5, kindSeed);
            return;
        }
        (bool found, uint256 idx) = _pick(jobSeed, IInferenceEscrow.JobStatus.Open);
        if (!found) return;
        IInferenceEscrow.Job memory job = _jobs[idx].job;
        address node = job.node != address(0) ? job.node : _nodes[(kindSeed / 7) % 3];
        if (!_canFulfil(job, node)) return;
        bytes memory output = abi.encode("replayed", idx);
        (uint256 pk, bytes32 digest) = _replayDigest(idx, job, node, kindSeed, keccak256(output));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        bool ok;
        vm.prank(node);
        try escrow.submitResult(job, IInferenceEscrow.Claim(address(0), 0), output, abi.encodePacked(r, s, v)) {
            ok = true;
        } catch {}
        // Counted under its own name: the invariant asserts no replay ever succeeded.
        if (ok) {
            successes["replay"]++;
            _violation("replay: a result signature was accepted outside its job, key, chain or deployment");
            _settled(idx, node, false);
        } else {
            refusals["replay"]++;
        }
    }

    /// @dev The key and the digest a replay of kind `kindSeed % 7` (0 to 4) signs for `job`'s output hash.
    function _replayDigest(
        uint256 idx,
        IInferenceEscrow.Job memory job,
        address node,
        uint256 kindSeed,
        bytes32 outputHash
    ) private returns (uint256 pk, bytes32 digest) {
        uint256 kind = kindSeed % 7;
        pk = _keys[node].pk;
        uint256 jobId = JobId.unwrap(_jobId(job));
        address escrowAddr = address(escrow);
        ITeeResultVerifier verifier = teeVerifier;
        if (kind == 0) {
            // Signed for another job (another requester's nonce space, or the next nonce).
            jobId = _otherJobId(idx, kindSeed / 21, jobId);
        } else if (kind == 1) {
            pk = _keys[_otherNode(node, kindSeed / 7)].pk;
        } else if (kind == 2) {
            escrowAddr = address(otherTee);
        } else if (kind == 4) {
            verifier = otherTeeVerifier;
        }
        digest = verifier.resultDigest(escrowAddr, jobId, job.versionId, job.inputDigest, outputHash);
        if (kind == 3) {
            // The same deployment's signature as made on another chain (a fork, or the same addresses elsewhere). The
            // digest is built by hand; built for this chain it must equal the verifier's (else the replay proves nothing).
            bytes32 structHash = teeVerifier.resultStructHash(
                escrowAddr,
                jobId,
                job.versionId,
                job.inputDigest,
                outputHash
            );
            if (_digestOn(block.chainid, structHash) != digest)
                _violation("replay: hand-built EIP-712 digest is wrong");
            digest = _digestOn(block.chainid + 1 + (kindSeed % 1000), structHash);
        }
    }

    /// @dev The id of another tracked job than `idx` (whose id is `own`), or the next id when the pick is the same job.
    function _otherJobId(uint256 idx, uint256 seed, uint256 own) private view returns (uint256 jobId) {
        jobId = JobId.unwrap(_jobId(_jobs[(idx + 1 + (seed % _jobs.length)) % _jobs.length].job));
        if (jobId == own) jobId += 1;
    }

    /// @notice TEE key life cycle: a node revokes its current key and registers a fresh one (or renews the current one
    /// with a new expiry); then it tries to bring the revoked key back with a fresh, valid attestation, and to deliver a
    /// result signed by it: both refused.
    function rotateKey(uint256 nodeSeed, uint256 life, bool renew) external tick {
        address node = _nodes[nodeSeed % 3];
        KeyGhost storage k = _keys[node];
        uint40 expiresAt = uint40(clock + _bound(life, 1 days, 90 days));
        if (renew && clock < k.expiresAt) {
            _expect(_register(node, k.pk, expiresAt), true, "renew key");
            k.expiresAt = expiresAt;
            return;
        }
        address oldKey = vm.addr(k.pk);
        bool ok;
        vm.prank(node);
        try tee.revokeEnclaveKey(oldKey) {
            ok = true;
        } catch {}
        _expect(ok, true, "revoke key");
        if (!ok) return;
        _revoked.push(Revoked(oldKey, node));
        uint256 oldPk = k.pk;
        k.pk = uint256(keccak256(abi.encode("rotated enclave", ++_keyGeneration)));
        k.expiresAt = expiresAt;
        _expect(_register(node, k.pk, expiresAt), true, "register key");
        _expect(_register(node, oldPk, expiresAt), false, "re-register a revoked key");
        (bool found, uint256 idx) = _pick(nodeSeed, IInferenceEscrow.JobStatus.Open);
        if (!found || !_canFulfil(_jobs[idx].job, node)) return;
        IInferenceEscrow.Job memory job = _jobs[idx].job;
        bytes memory output = abi.encode("revoked key", idx);
        bytes memory sig = _sign(oldPk, job, output);
        ok = false;
        vm.prank(node);
        try escrow.submitResult(job, IInferenceEscrow.Claim(address(0), 0), output, sig) {
            ok = true;
        } catch {}
        _expect(ok, false, "deliver with a revoked key");
        if (ok) _settled(idx, node, false);
    }

    /// @notice The model's owner transfers its ERC-721 to another owner (sometimes a non-owner tries: refused); the
    /// royalties then follow the token.
    function transferModel(uint256 modelSeed, uint256 toSeed) external tick {
        uint256 modelId = _models[modelSeed % 2];
        address owner = ghostModelOwner[modelId];
        address to = _owners[toSeed % 3];
        if (to == owner) to = _owners[((toSeed % 3) + 1) % 3];
        address caller = toSeed % 5 == 0 ? to : owner;
        bool ok;
        vm.prank(caller);
        try registry.transferFrom(owner, to, modelId) {
            ok = true;
        } catch {}
        _expect(ok, caller == owner, "transferModel");
        if (ok) ghostModelOwner[modelId] = to;
    }

    /// @notice The model's owner publishes a TEE version (sometimes a non-owner tries: refused), and sometimes
    /// deprecates it (sometimes a non-owner tries: refused). Requests may pick it; once deprecated they are refused.
    function publishVersion(uint256 modelSeed, uint256 royalty, uint256 minCollateral, uint256 flags) external tick {
        if (_versions.length >= 12) return;
        uint256 modelId = _models[modelSeed % 2];
        address owner = ghostModelOwner[modelId];
        address caller = flags % 5 == 0 ? _owners[(flags / 5) % 3] : owner;
        bytes32[] memory measurements = new bytes32[](1);
        measurements[0] = measurement;
        IModelRegistry.VersionParams memory p = IModelRegistry.VersionParams({
            weightsDigest: keccak256(abi.encode("weights", modelId, _versions.length)),
            ioSchemaDigest: keccak256("schema"),
            artifactURI: "ipfs://weights",
            royalty: uint96(_bound(royalty, 0, 50_000)),
            minCollateral: uint96(_bound(minCollateral, 0, 200e18)),
            modes: uint8(1 << MODE_TEE),
            zkVerifier: address(0),
            teeMeasurements: measurements
        });
        bool ok;
        uint64 v;
        vm.prank(caller);
        try registry.publishVersion(modelId, p) returns (uint64 id) {
            (ok, v) = (true, id);
        } catch {}
        _expect(ok, caller == owner, "publishVersion");
        if (!ok) return;
        uint256 i = _recordVersion(v);
        if (flags % 3 != 0) return;
        caller = flags % 4 == 1 ? _owners[(flags / 4) % 3] : owner;
        ok = false;
        vm.prank(caller);
        try registry.deprecateVersion(v) {
            ok = true;
        } catch {}
        _expect(ok, caller == owner, "deprecateVersion");
        if (ok) _versions[i].deprecated = true;
    }

    // ------------------------------------------------------------------------------------------------ views

    function versionCount() external view returns (uint256) {
        return _versions.length;
    }

    function versionAt(uint256 i) external view returns (uint64, bytes32, bool) {
        VersionGhost storage v = _versions[i];
        return (v.id, v.content, v.deprecated);
    }

    function revokedCount() external view returns (uint256) {
        return _revoked.length;
    }

    function revokedAt(uint256 i) external view returns (address key, address node) {
        return (_revoked[i].key, _revoked[i].node);
    }

    function currentKey(address node) external view returns (address key, uint40 expiresAt) {
        return (vm.addr(_keys[node].pk), _keys[node].expiresAt);
    }

    /// @inheritdoc BaseHandler
    function accounts() public view override returns (address[] memory a) {
        a = new address[](8);
        for (uint256 i; i < 3; ++i) {
            a[i] = _requesters[i];
            a[3 + i] = _nodes[i];
        }
        a[6] = treasury;
        a[7] = stranger;
    }

    // ------------------------------------------------------------------------------------------------ internals

    function _settled(uint256 idx, address node, bool claimed) internal {
        Entry storage e = _jobs[idx];
        _creditSettlement(e.job, node);
        ghostSettledPayments += e.job.payment;
        if (claimed) ghostLocked[node] -= e.job.collateral;
        e.status = IInferenceEscrow.JobStatus.Settled;
    }

    /// @dev Whether `node` may fulfil the open `job` directly: an active node (at least the minimum active stake)
    /// with a live enclave key, before expiry, and the job names no other node.
    function _canFulfil(IInferenceEscrow.Job memory job, address node) internal view returns (bool) {
        return
            ghostNode[node].staked >= MIN_STAKE &&
            _keyLive(node) &&
            clock < job.expiresAt &&
            (job.node == address(0) || job.node == node);
    }

    /// @dev `_canFulfil` for the raced batch: the node's staking record and the job's deadline (the key is checked
    /// separately: a dead key reverts the batch, a moved job does not).
    function _canFulfilNow(IInferenceEscrow.Job memory job, address node) internal view returns (bool) {
        return
            ghostNode[node].staked >= MIN_STAKE &&
            clock < job.expiresAt &&
            (job.node == address(0) || job.node == node);
    }

    /// @dev Completes `caller`'s cancel of job `idx` if it can; checks the outcome against the model.
    function _tryCancel(uint256 idx, address caller) internal returns (bool ok) {
        Entry storage e = _jobs[idx];
        IInferenceEscrow.Job memory job = e.job;
        vm.prank(caller);
        try escrow.cancel(job) {
            ok = true;
        } catch {}
        _expect(ok, caller == job.requester && e.cancellableAt != 0 && clock >= e.cancellableAt, "cancel");
        if (!ok) return false;
        if (ghostPaused) successes["cancel while paused"]++;
        ghostBalance[job.requester] += job.payment;
        e.status = IInferenceEscrow.JobStatus.Cancelled;
        e.cancellableAt = 0;
    }

    /// @dev `caller` asks to cancel job `idx`; checks the outcome against the model.
    function _tryRequestCancel(uint256 idx, address caller) internal returns (bool ok) {
        Entry storage e = _jobs[idx];
        vm.prank(caller);
        try escrow.requestCancel(e.job) {
            ok = true;
        } catch {}
        _expect(ok, caller == e.job.requester && e.cancellableAt == 0, "requestCancel");
        if (!ok) return false;
        if (ghostPaused) successes["requestCancel while paused"]++;
        e.cancellableAt = uint40(clock) + CANCEL_GRACE_PERIOD_SECONDS;
    }

    /// @dev The EIP-712 struct hash of `job`'s result with `outputHash` (a leaf of a batch digest).
    function _resultHash(IInferenceEscrow.Job memory job, bytes32 outputHash) internal view returns (bytes32) {
        return
            teeVerifier.resultStructHash(
                address(escrow),
                JobId.unwrap(_jobId(job)),
                job.versionId,
                job.inputDigest,
                outputHash
            );
    }

    /// @dev `pk`'s batch signature over the single result (`job`, `output`).
    function _signBatchOfOne(
        uint256 pk,
        IInferenceEscrow.Job memory job,
        bytes memory output
    ) internal view returns (bytes memory) {
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = _resultHash(job, keccak256(output));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, teeVerifier.batchDigest(hashes));
        return abi.encodePacked(r, s, v);
    }

    /// @dev Records a batch of one settled under `sig` as equivocation evidence.
    function _recordBatchSigned(
        uint256 idx,
        address node,
        IInferenceEscrow.Job memory job,
        bytes memory output,
        bytes memory sig
    ) internal {
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = _resultHash(job, keccak256(output));
        _recordBatch(idx, _keys[node].pk, hashes, 0, sig, keccak256(output));
    }

    function _recordBatch(
        uint256 idx,
        uint256 pk,
        bytes32[] memory hashes,
        uint256 index,
        bytes memory sig,
        bytes32 outputHash
    ) internal {
        BatchSigned storage b = _batchSigned.push();
        b.idx = idx;
        b.pk = pk;
        b.hashes = hashes;
        b.index = index;
        b.signature = sig;
        b.outputHash = outputHash;
    }

    function _keyLive(address node) internal view returns (bool) {
        return clock < _keys[node].expiresAt;
    }

    /// @dev Registers `pk`'s key for `node` with a fresh attestation from the approved service.
    function _register(address node, uint256 pk, uint40 expiresAt) internal returns (bool ok) {
        address key = vm.addr(pk);
        bytes32 digest = attestation.attestationDigest(address(tee), node, key, measurement, expiresAt);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_attestationSignerPk, digest);
        vm.prank(node);
        try tee.registerEnclaveKey(key, measurement, expiresAt, abi.encodePacked(r, s, v)) {
            ok = true;
        } catch {}
    }

    /// @dev (5) An attestation valid for one node and registry presented by another node, or one issued for the second
    /// deployment's registry: refused.
    function _replayAttestation(bool otherNode, uint256 seed) internal {
        address node = _nodes[seed % 3];
        address presenter = otherNode ? _nodes[((seed % 3) + 1) % 3] : node;
        address key = vm.addr(uint256(keccak256(abi.encode("replayed enclave", seed))));
        uint40 expiresAt = uint40(clock + 30 days);
        bytes32 digest = attestation.attestationDigest(
            otherNode ? address(tee) : address(otherTee),
            node,
            key,
            measurement,
            expiresAt
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_attestationSignerPk, digest);
        bool ok;
        vm.prank(presenter);
        try tee.registerEnclaveKey(key, measurement, expiresAt, abi.encodePacked(r, s, v)) {
            ok = true;
        } catch {}
        if (ok) {
            successes["replay"]++;
            _violation("replay: an attestation was accepted for another node or deployment");
        } else {
            refusals["replay"]++;
        }
    }

    function _recordVersion(uint64 v) internal returns (uint256 i) {
        IModelRegistry.Version memory ver = registry.getVersion(v);
        bool deprecated = ver.terms.deprecated;
        ver.terms.deprecated = false;
        i = _versions.length;
        _versions.push(VersionGhost(v, keccak256(abi.encode(ver)), deprecated));
    }

    /// @dev Everything an account or model owns, hashed: escrow accounts (balance, lock, nonce), stake records and
    /// rewards, model accruals and owners, enclave keys, and every job's commitment.
    function _stateHash() internal view returns (bytes32 h) {
        address[] memory a = accounts();
        for (uint256 i; i < a.length; ++i) {
            h = keccak256(
                abi.encode(
                    h,
                    escrow.accountOf(a[i]),
                    staking.getNode(a[i]),
                    staking.rewardsOf(a[i]),
                    usd.balanceOf(a[i])
                )
            );
        }
        for (uint256 i; i < 3; ++i) {
            h = keccak256(abi.encode(h, tee.getEnclaveKey(vm.addr(_keys[_nodes[i]].pk))));
        }
        for (uint256 i; i < 2; ++i) {
            h = keccak256(abi.encode(h, escrow.accrualOf(_models[i]), registry.ownerOf(_models[i])));
        }
        for (uint256 i; i < _jobs.length; ++i) {
            JobId id = _jobId(_jobs[i].job);
            h = keccak256(abi.encode(h, escrow.jobCommitment(id), escrow.cancellableAt(id)));
        }
    }

    /// @dev The EIP-712 digest of a TEE result struct hash for the result verifier's domain on chain `chainId`.
    function _digestOn(uint256 chainId, bytes32 structHash) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Veritas TEE Result"),
                keccak256("1"),
                chainId,
                address(teeVerifier)
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    /// @dev One of the two nodes other than `node`.
    function _otherNode(address node, uint256 seed) internal view returns (address) {
        uint256 i;
        while (_nodes[i] != node) ++i;
        return _nodes[(i + 1 + (seed % 2)) % 3];
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

    function _sign(
        uint256 pk,
        IInferenceEscrow.Job memory job,
        bytes memory output
    ) internal view returns (bytes memory) {
        return _signResultFor(teeVerifier, address(escrow), pk, job, output);
    }
}
