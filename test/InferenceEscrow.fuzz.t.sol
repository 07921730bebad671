// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDisputeManager} from "../contracts/interfaces/IDisputeManager.sol";
import {IInferenceEscrow} from "../contracts/interfaces/IInferenceEscrow.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {INodeStaking} from "../contracts/interfaces/INodeStaking.sol";
import {ITeeRegistry} from "../contracts/interfaces/ITeeRegistry.sol";
import {JobId} from "../contracts/libraries/JobId.sol";
import {VeritasSuite} from "./helpers/VeritasSuite.sol";

/// @notice Fuzz tests of the escrow's arithmetic through the real contracts: the fee split at settlement and the
/// collateral snapshot at request.
contract InferenceEscrowFuzzTest is VeritasSuite {
    address internal requester = makeAddr("requester");
    address internal node = makeAddr("node");
    uint256 internal enclavePk = uint256(keccak256("enclave"));
    uint256 internal modelId;

    function setUp() public {
        vm.warp(1_700_000_000);
        // The node can lock any uint96 collateral.
        _deploySuite(type(uint96).max);
        modelId = _createModel();
        _setUpNode(node, type(uint96).max, enclavePk);
    }

    /// @dev Publishes a version, sets the fee and rate, and requests a job of `payment` from a prepaid balance.
    function _request(
        uint256 payment,
        uint16 feeBps,
        uint96 royalty,
        uint32 rate,
        uint96 minCollateral
    ) internal returns (IInferenceEscrow.Job memory job) {
        uint64 versionId = _publishTeeVersion(modelId, royalty, minCollateral);
        vm.startPrank(gov);
        escrow.setProtocolFee(feeBps);
        escrow.setCollateralRate(rate);
        vm.stopPrank();
        usd.mint(requester, payment);
        vm.startPrank(requester);
        usd.approve(address(escrow), payment);
        escrow.deposit(requester, payment);
        uint32 nonce = escrow.accountOf(requester).nonce;
        IInferenceEscrow.RequestParams memory p = IInferenceEscrow.RequestParams({
            versionId: versionId,
            mode: MODE_TEE,
            node: address(0),
            payment: uint96(payment),
            deliveryWindow: 600,
            expiresAt: uint40(block.timestamp + 3600),
            callbackGasLimit: 0,
            inputDigest: keccak256(abi.encode(payment)),
            inputURI: ""
        });
        uint256 collateral = (payment * rate) / BPS;
        if (collateral < minCollateral) collateral = minCollateral;
        job = IInferenceEscrow.Job({
            requester: requester,
            nonce: nonce,
            versionId: versionId,
            callbackGasLimit: 0,
            node: address(0),
            mode: MODE_TEE,
            modelId: uint48(modelId),
            payment: uint96(payment),
            royalty: royalty,
            feeBps: feeBps,
            collateral: uint96(collateral),
            deliveryWindow: 600,
            expiresAt: p.expiresAt,
            inputDigest: p.inputDigest,
            challengeWindow: 0
        });
        if (collateral > type(uint96).max) {
            vm.expectRevert(abi.encodeWithSelector(IInferenceEscrow.AmountTooLarge.selector, payment));
            escrow.requestInference(p);
            vm.stopPrank();
            job.payment = 0;
            return job;
        }
        JobId id = escrow.requestInference(p);
        vm.stopPrank();
        assertEq(JobId.unwrap(id), JobId.unwrap(_jobId(job)), "job id");
        // The stored commitment is the hash of exactly the job we expect (fee, royalty and collateral included).
        assertEq(
            escrow.jobCommitment(id),
            _commitment(job, IInferenceEscrow.Claim(address(0), 0), IInferenceEscrow.JobStatus.Open),
            "commitment"
        );
    }

    /// @dev Settles `job` by a TEE result and returns what it credited: the node's fee, the royalty, the protocol fee.
    function _settleAndSplit(
        IInferenceEscrow.Job memory job,
        bytes memory output
    ) private returns (uint256 nodeFee, uint256 royaltyPaid, uint256 feePaid) {
        uint256 nodeBefore = escrow.balanceOf(node);
        IInferenceEscrow.ModelAccrual memory before = escrow.accrualOf(modelId);
        bytes memory sig = _signResult(enclavePk, job, output);
        vm.prank(node);
        escrow.submitResult(job, IInferenceEscrow.Claim(address(0), 0), output, sig);
        IInferenceEscrow.ModelAccrual memory afterA = escrow.accrualOf(modelId);
        nodeFee = escrow.balanceOf(node) - nodeBefore;
        royaltyPaid = afterA.royalties - before.royalties;
        feePaid = afterA.protocolFees - before.protocolFees;
    }

    /// @notice For any payment, fee (<= 10 %) and royalty that the payment covers, settlement never reverts and
    /// credits nodeFee + royalty + protocolFee == payment, with protocolFee = floor(payment * fee / 1e4).
    function testFuzz_feeSplitSumsToPayment(uint96 payment, uint16 feeBps, uint96 royalty, uint32 rate) public {
        feeBps = uint16(bound(feeBps, 0, 1_000));
        payment = uint96(bound(payment, 1, type(uint96).max));
        uint256 protocolFee = (uint256(payment) * feeBps) / BPS;
        royalty = uint96(bound(royalty, 0, payment - protocolFee));
        // A rate that keeps the collateral in range, so that the request cannot fail for it.
        rate = uint32(bound(rate, 0, type(uint96).max / payment < 100_000 ? type(uint96).max / payment : 100_000));

        IInferenceEscrow.Job memory job = _request(payment, feeBps, royalty, rate, 0);
        assertEq(job.payment, payment, "the request must not revert");

        uint256 held = usd.balanceOf(address(escrow));
        (uint256 nodeFee, uint256 royaltyPaid, uint256 feePaid) = _settleAndSplit(
            job,
            abi.encode(payment, feeBps, royalty)
        );
        assertEq(feePaid, protocolFee, "protocol fee = floor(payment * fee / BPS)");
        assertEq(royaltyPaid, royalty, "royalty as snapshotted");
        assertEq(nodeFee, uint256(payment) - royalty - protocolFee, "node fee is the rest");
        assertEq(nodeFee + royaltyPaid + feePaid, payment, "the split sums to the payment");
        assertEq(usd.balanceOf(address(escrow)), held, "settlement moves no tokens");
        assertEq(uint8(escrow.jobStatus(_jobId(job))), uint8(IInferenceEscrow.JobStatus.Settled));
    }

    /// @notice A payment that does not cover royalty plus fee is refused with the exact minimum.
    function testFuzz_paymentBelowRoyaltyPlusFeeReverts(uint96 payment, uint16 feeBps, uint96 royalty) public {
        feeBps = uint16(bound(feeBps, 0, 1_000));
        payment = uint96(bound(payment, 0, type(uint96).max - 1));
        uint256 protocolFee = (uint256(payment) * feeBps) / BPS;
        royalty = uint96(bound(royalty, payment - protocolFee + 1, type(uint96).max));
        uint64 versionId = _publishTeeVersion(modelId, royalty, 0);
        vm.prank(gov);
        escrow.setProtocolFee(feeBps);
        usd.mint(requester, payment);
        vm.startPrank(requester);
        usd.approve(address(escrow), payment);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceEscrow.PaymentTooLow.selector, payment, uint256(royalty) + protocolFee)
        );
        escrow.requestInferenceWithTransfer(
            IInferenceEscrow.RequestParams({
                versionId: versionId,
                mode: MODE_TEE,
                node: address(0),
                payment: payment,
                deliveryWindow: 600,
                expiresAt: uint40(block.timestamp + 3600),
                callbackGasLimit: 0,
                inputDigest: bytes32(0),
                inputURI: ""
            })
        );
        vm.stopPrank();
    }

    /// @notice collateral = max(minCollateral, payment * rate / BPS), locked in full by a claim and released by the
    /// result; a collateral that does not fit uint96 is refused with AmountTooLarge.
    function testFuzz_collateralIsMaxOfMinimumAndRate(uint96 payment, uint32 rate, uint96 minCollateral) public {
        payment = uint96(bound(payment, 1, type(uint96).max));
        rate = uint32(bound(rate, 0, 100_000));
        uint256 expected = (uint256(payment) * rate) / BPS;
        if (expected < minCollateral) expected = minCollateral;

        IInferenceEscrow.Job memory job = _request(payment, 0, 0, rate, minCollateral);
        if (expected > type(uint96).max) {
            assertEq(job.payment, 0, "refused with AmountTooLarge");
            return;
        }
        assertEq(job.collateral, expected, "collateral snapshot");
        assertGe(job.collateral, minCollateral);

        vm.prank(node);
        escrow.claim(job);
        assertEq(escrow.lockedCollateral(node), expected, "claim locks the collateral");
        IInferenceEscrow.Claim memory claim = IInferenceEscrow.Claim(node, uint40(block.timestamp + 600));
        bytes memory output = abi.encode(expected);
        bytes memory sig = _signResult(enclavePk, job, output);
        vm.prank(node);
        escrow.submitResult(job, claim, output, sig);
        assertEq(escrow.lockedCollateral(node), 0, "settlement releases it");
    }
}

/// @notice Fuzz tests of every external function that takes an amount, a deadline or a fee, across the escrow, staking,
/// dispute manager, TEE registry and model registry (docs/invariants.md lists them): bounded inputs, and for each the
/// exact effect or the exact custom error. Runs per test: the `fuzz.runs` of the test profile (hardhat.config.ts).
contract VeritasAmountsDeadlinesFeesFuzzTest is VeritasSuite {
    address internal requester = makeAddr("requester");
    address internal node = makeAddr("node");
    address internal optimisticNode = makeAddr("optimisticNode");
    address internal challenger = makeAddr("challenger");
    uint256 internal enclavePk = uint256(keccak256("enclave"));
    uint256 internal modelId;
    uint64 internal teeVersion;
    uint64 internal optimisticVersion;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploySuite(type(uint128).max);
        modelId = _createModel();
        teeVersion = _publishTeeVersion(modelId, 0, 0);
        optimisticVersion = _publishOptimisticVersion(modelId, 0, 0);
        _setUpNode(node, 10_000e18, enclavePk);
        _setUpOptimisticNode(optimisticNode, 10_000e18);
    }

    // ---------------------------------------------------------------------------------------- escrow: amounts

    /// @notice deposit credits exactly `amount` (zero refused); withdraw pays exactly `out` up to the balance, and
    /// refuses zero and anything above it with the exact error.
    function testFuzz_depositAndWithdraw(uint128 amount, uint256 out) public {
        usd.mint(requester, amount);
        vm.startPrank(requester);
        usd.approve(address(escrow), amount);
        if (amount == 0) {
            vm.expectRevert(IInferenceEscrow.ZeroAmount.selector);
            escrow.deposit(requester, 0);
            vm.stopPrank();
            return;
        }
        escrow.deposit(requester, amount);
        assertEq(escrow.balanceOf(requester), amount, "credited exactly");
        assertEq(usd.balanceOf(address(escrow)), amount, "pulled exactly");
        out = bound(out, 0, uint256(amount) * 2);
        if (out == 0) {
            vm.expectRevert(IInferenceEscrow.ZeroAmount.selector);
        } else if (out > amount) {
            vm.expectRevert(
                abi.encodeWithSelector(IInferenceEscrow.InsufficientBalance.selector, requester, amount, out)
            );
        }
        escrow.withdraw(out, requester);
        vm.stopPrank();
        if (out == 0 || out > amount) {
            assertEq(escrow.balanceOf(requester), amount, "a refused withdrawal moves nothing");
            return;
        }
        assertEq(escrow.balanceOf(requester), amount - out, "debited exactly");
        assertEq(usd.balanceOf(requester), out, "paid exactly");
    }

    // ---------------------------------------------------------------------------------------- escrow: fees

    /// @notice setProtocolFee accepts exactly 0..10 % and refuses more with FeeTooHigh; requests snapshot the fee.
    function testFuzz_setProtocolFee(uint16 feeBps) public {
        vm.prank(gov);
        if (feeBps > 1_000) {
            vm.expectRevert(abi.encodeWithSelector(IInferenceEscrow.FeeTooHigh.selector, feeBps, uint16(1_000)));
            escrow.setProtocolFee(feeBps);
            assertEq(escrow.config().feeBps, FEE_BPS, "unchanged");
            return;
        }
        escrow.setProtocolFee(feeBps);
        assertEq(escrow.config().feeBps, feeBps, "set exactly");
    }

    /// @notice setCollateralRate accepts exactly 0..1000 % of the payment and refuses more.
    function testFuzz_setCollateralRate(uint32 rate) public {
        vm.prank(gov);
        if (rate > 100_000) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IInferenceEscrow.CollateralRateOutOfBounds.selector,
                    rate,
                    uint32(0),
                    uint32(100_000)
                )
            );
            escrow.setCollateralRate(rate);
            assertEq(escrow.config().collateralPerPaymentBps, RATE_BPS, "unchanged");
            return;
        }
        escrow.setCollateralRate(rate);
        assertEq(escrow.config().collateralPerPaymentBps, rate, "set exactly");
    }

    /// @notice setChallengeWindow accepts exactly 1 minute..3 days and refuses the rest.
    function testFuzz_setChallengeWindow(uint40 window) public {
        vm.prank(gov);
        if (window < 1 minutes || window > 3 days) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IInferenceEscrow.ChallengeWindowOutOfBounds.selector,
                    window,
                    uint40(1 minutes),
                    uint40(3 days)
                )
            );
            escrow.setChallengeWindow(window);
            assertEq(escrow.config().challengeWindow, CHALLENGE_WINDOW, "unchanged");
            return;
        }
        escrow.setChallengeWindow(window);
        assertEq(escrow.config().challengeWindow, window, "set exactly");
    }

    // ---------------------------------------------------------------------------------------- escrow: deadlines

    /// @notice A request's delivery window must lie in 30 s..7 days and its expiry in [now + window, now + 30 days];
    /// otherwise the exact error. An accepted request's claim is due at min(now + window, expiry).
    function testFuzz_requestWindowAndExpiry(uint40 window, uint40 life) public {
        window = uint40(bound(window, 0, 8 days));
        life = uint40(bound(life, 0, 31 days));
        IInferenceEscrow.RequestParams memory p = _teeParams(1e6, window, uint40(block.timestamp) + life);
        usd.mint(requester, 1e6);
        vm.startPrank(requester);
        usd.approve(address(escrow), 1e6);
        if (window < 30 || window > 7 days) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IInferenceEscrow.InvalidDeliveryWindow.selector,
                    window,
                    uint40(30),
                    uint40(7 days)
                )
            );
            escrow.requestInferenceWithTransfer(p);
            vm.stopPrank();
            return;
        }
        if (life < window || life > 30 days) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IInferenceEscrow.InvalidExpiry.selector,
                    p.expiresAt,
                    block.timestamp + window,
                    block.timestamp + 30 days
                )
            );
            escrow.requestInferenceWithTransfer(p);
            vm.stopPrank();
            return;
        }
        escrow.requestInferenceWithTransfer(p);
        vm.stopPrank();
        IInferenceEscrow.Job memory job = _teeJob(p, 0);
        vm.prank(node);
        escrow.claim(job);
        uint256 due = block.timestamp + window;
        if (due > p.expiresAt) due = p.expiresAt;
        assertEq(
            escrow.jobCommitment(_jobId(job)),
            _commitment(job, IInferenceEscrow.Claim(node, uint40(due)), IInferenceEscrow.JobStatus.Claimed),
            "claimed, due at min(now + window, expiry)"
        );
    }

    /// @notice Around a claim's delivery deadline: a result is accepted up to `deliverBy` inclusive (DeliveryDeadlinePassed
    /// after); a missed-deadline report only after it (DeliveryDeadlineNotPassed before), slashing exactly the job's
    /// collateral; expiry only from `expiresAt` (RequestNotExpired before).
    function testFuzz_deliveryDeadlineAndExpiry(uint40 window, uint40 extra, uint40 elapsed, bool report) public {
        window = uint40(bound(window, 30, 1 days));
        extra = uint40(bound(extra, 0, 1 days));
        IInferenceEscrow.RequestParams memory p = _teeParams(1e6, window, uint40(block.timestamp) + window + extra);
        usd.mint(requester, 1e6);
        vm.startPrank(requester);
        usd.approve(address(escrow), 1e6);
        escrow.requestInferenceWithTransfer(p);
        vm.stopPrank();
        IInferenceEscrow.Job memory job = _teeJob(p, 0);
        JobId id = _jobId(job);
        vm.prank(node);
        escrow.claim(job);
        IInferenceEscrow.Claim memory c = IInferenceEscrow.Claim(node, uint40(block.timestamp) + window);
        elapsed = uint40(bound(elapsed, 0, uint256(window) + extra + 1 days));
        vm.warp(block.timestamp + elapsed);
        bool late = block.timestamp > c.deliverBy;
        if (report) {
            uint256 stakeBefore = staking.totalStakeOf(node);
            if (!late) {
                vm.expectRevert(
                    abi.encodeWithSelector(IInferenceEscrow.DeliveryDeadlineNotPassed.selector, id, c.deliverBy)
                );
            }
            escrow.reportMissedDeadline(job, c);
            if (!late) return;
            assertEq(stakeBefore - staking.totalStakeOf(node), job.collateral, "slashed exactly the collateral");
            IInferenceEscrow.Claim memory none = IInferenceEscrow.Claim(address(0), 0);
            if (block.timestamp >= job.expiresAt) {
                assertEq(uint8(escrow.jobStatus(id)), uint8(IInferenceEscrow.JobStatus.Expired), "expired");
                assertEq(escrow.balanceOf(requester), job.payment, "refunded");
                return;
            }
            assertEq(escrow.jobCommitment(id), _commitment(job, none, IInferenceEscrow.JobStatus.Open), "reopened");
            vm.expectRevert(abi.encodeWithSelector(IInferenceEscrow.RequestNotExpired.selector, id, job.expiresAt));
            escrow.expire(job);
            return;
        }
        bytes memory output = abi.encode(elapsed);
        bytes memory sig = _signResult(enclavePk, job, output);
        if (late) {
            vm.expectRevert(abi.encodeWithSelector(IInferenceEscrow.DeliveryDeadlinePassed.selector, id, c.deliverBy));
        }
        vm.prank(node);
        escrow.submitResult(job, c, output, sig);
        if (!late) assertEq(uint8(escrow.jobStatus(id)), uint8(IInferenceEscrow.JobStatus.Settled), "settled");
    }

    /// @notice A request paid by permit: a live permit (deadline >= now) pays exactly the payment; an expired one is
    /// ignored and, without an allowance, the pull fails with the token's own error.
    function testFuzz_requestWithPermitDeadline(uint256 deadline, uint96 payment) public {
        payment = uint96(bound(payment, 1, 1e12));
        deadline = bound(deadline, block.timestamp - 1 days, block.timestamp + 30 days);
        uint256 ownerPk = uint256(keccak256("permit requester"));
        address owner = vm.addr(ownerPk);
        usd.mint(owner, payment);
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(ownerPk, usd, address(escrow), payment, deadline);
        IInferenceEscrow.RequestParams memory p = _teeParams(payment, 600, uint40(block.timestamp + 3600));
        if (deadline < block.timestamp) {
            vm.expectRevert(
                abi.encodeWithSignature(
                    "ERC20InsufficientAllowance(address,uint256,uint256)",
                    address(escrow),
                    0,
                    uint256(payment)
                )
            );
        }
        vm.prank(owner);
        escrow.requestInferenceWithPermit(p, IInferenceEscrow.Permit(deadline, v, r, s));
        if (deadline < block.timestamp) return;
        assertEq(usd.balanceOf(address(escrow)), payment, "pulled exactly the payment");
        assertEq(usd.balanceOf(owner), 0);
    }

    // ---------------------------------------------------------------------------------------- optimistic + disputes

    /// @notice Around a proposal's challenge window: a challenge is accepted strictly before `challengeEnds`
    /// (ChallengeWindowClosed from then) and pulls exactly max(bond, payment); finalize is accepted from `challengeEnds`
    /// (ChallengeWindowOpen before).
    function testFuzz_challengeWindow(uint40 elapsed, uint96 payment, bool challengeIt) public {
        payment = uint96(bound(payment, 1, 1e12));
        (
            IInferenceEscrow.Job memory job,
            IInferenceEscrow.Claim memory c,
            IInferenceEscrow.Proposal memory pr,
            bytes memory out
        ) = _propose(payment);
        JobId id = _jobId(job);
        elapsed = uint40(bound(elapsed, 0, uint256(CHALLENGE_WINDOW) * 2));
        vm.warp(block.timestamp + elapsed);
        bool open = block.timestamp < pr.challengeEnds;
        if (challengeIt) {
            uint256 bond = DISPUTE_BOND > payment ? DISPUTE_BOND : payment;
            usd.mint(challenger, bond);
            vm.startPrank(challenger);
            usd.approve(address(disputes), bond);
            if (!open) {
                vm.expectRevert(
                    abi.encodeWithSelector(IInferenceEscrow.ChallengeWindowClosed.selector, id, pr.challengeEnds)
                );
            }
            disputes.challenge(job, c, pr);
            vm.stopPrank();
            if (!open) return;
            assertEq(usd.balanceOf(address(disputes)), bond, "bond pulled exactly");
            assertEq(disputes.disputeOf(id).bond, bond, "bond recorded");
            return;
        }
        if (open) {
            vm.expectRevert(
                abi.encodeWithSelector(IInferenceEscrow.ChallengeWindowOpen.selector, id, pr.challengeEnds)
            );
        }
        escrow.finalize(job, c, pr, out);
        if (!open) assertEq(uint8(escrow.jobStatus(id)), uint8(IInferenceEscrow.JobStatus.Settled), "finalized");
    }

    /// @notice Around a dispute's arbitration deadline: the arbitrator rules strictly before it (ArbitrationClosed
    /// from then); a timeout resolves only from it (ArbitrationOpen before).
    function testFuzz_arbitrationDeadline(uint40 elapsed, bool rule) public {
        (
            IInferenceEscrow.Job memory job,
            IInferenceEscrow.Claim memory c,
            IInferenceEscrow.Proposal memory pr,
            bytes memory out
        ) = _propose(1e6);
        usd.mint(challenger, 1e6);
        vm.startPrank(challenger);
        usd.approve(address(disputes), 1e6);
        disputes.challenge(job, c, pr);
        vm.stopPrank();
        JobId id = _jobId(job);
        uint40 deadline = disputes.disputeOf(id).deadline;
        assertEq(deadline, block.timestamp + ARBITRATION_PERIOD, "deadline = now + arbitration period");
        elapsed = uint40(bound(elapsed, 0, uint256(ARBITRATION_PERIOD) * 2));
        vm.warp(block.timestamp + elapsed);
        bool open = block.timestamp < deadline;
        if (rule) {
            if (!open)
                vm.expectRevert(abi.encodeWithSelector(IDisputeManager.ArbitrationClosed.selector, id, deadline));
            vm.prank(gov);
            disputes.arbitrate(job, c, pr, true, out);
        } else {
            if (open) vm.expectRevert(abi.encodeWithSelector(IDisputeManager.ArbitrationOpen.selector, id, deadline));
            disputes.resolveTimeout(job, c, pr);
        }
        if ((rule && open) || (!rule && !open)) assertTrue(disputes.disputeOf(id).resolved, "resolved");
    }

    /// @notice setParams accepts a non-zero bond, an arbitration period of 1 hour..7 days and a challenger reward of
    /// at most 50 %, and refuses anything else with ParamOutOfBounds naming the parameter.
    function testFuzz_setDisputeParams(uint96 bond, uint40 period, uint16 reward) public {
        period = uint40(bound(period, 0, 8 days));
        reward = uint16(bound(reward, 0, 10_000));
        IDisputeManager.Params memory p = IDisputeManager.Params({
            bond: bond,
            arbitrationPeriod: period,
            challengerRewardBps: reward,
            arbitrator: gov,
            equivocationSlash: EQUIVOCATION_SLASH
        });
        if (bond == 0) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeManager.ParamOutOfBounds.selector, "bond", 0));
        } else if (period < 1 hours || period > 7 days) {
            vm.expectRevert(
                abi.encodeWithSelector(IDisputeManager.ParamOutOfBounds.selector, "arbitrationPeriod", period)
            );
        } else if (reward > 5_000) {
            vm.expectRevert(
                abi.encodeWithSelector(IDisputeManager.ParamOutOfBounds.selector, "challengerRewardBps", reward)
            );
        }
        vm.prank(gov);
        disputes.setParams(p);
        bool valid = bond != 0 && period >= 1 hours && period <= 7 days && reward <= 5_000;
        assertEq(
            keccak256(abi.encode(disputes.params())),
            valid ? keccak256(abi.encode(p)) : keccak256(abi.encode(_defaultDisputeParams())),
            "params set exactly, or unchanged"
        );
    }

    // ---------------------------------------------------------------------------------------- staking

    /// @notice stake adds exactly `amount` (zero refused; a total above uint96 refused with AmountTooLarge);
    /// requestUnstake moves exactly `out` to thawing until now + unbonding (zero and more than staked refused);
    /// withdrawStake pays exactly the thawing stake from thawEnd (StakeStillThawing before).
    function testFuzz_stakeUnstakeWithdraw(uint256 amount, uint256 out, uint40 elapsed) public {
        address n = makeAddr("fuzz node");
        vm.prank(n);
        staking.registerNode("https://n", uint16(1 << MODE_TEE));
        amount = bound(amount, 0, uint256(type(uint96).max) + 1);
        token.approve(address(staking), amount);
        if (amount == 0) vm.expectRevert(INodeStaking.ZeroAmount.selector);
        else if (amount > type(uint96).max) {
            vm.expectRevert(abi.encodeWithSelector(INodeStaking.AmountTooLarge.selector, amount));
        }
        staking.stake(n, amount);
        if (amount == 0 || amount > type(uint96).max) return;
        assertEq(staking.getNode(n).staked, amount, "staked exactly");

        out = bound(out, 0, amount + 1);
        if (out == 0) vm.expectRevert(INodeStaking.ZeroAmount.selector);
        else if (out > amount) {
            vm.expectRevert(abi.encodeWithSelector(INodeStaking.InsufficientStake.selector, n, amount, out));
        }
        vm.prank(n);
        staking.requestUnstake(out);
        if (out == 0 || out > amount) return;
        INodeStaking.Node memory rec = staking.getNode(n);
        assertEq(rec.staked, amount - out, "staked - out");
        assertEq(rec.thawing, out, "thawing exactly out");
        assertEq(rec.thawEnd, block.timestamp + UNBONDING, "thaws after the unbonding period");

        elapsed = uint40(bound(elapsed, 0, uint256(UNBONDING) * 2));
        vm.warp(block.timestamp + elapsed);
        address to = makeAddr("fuzz node payee");
        if (block.timestamp < rec.thawEnd) {
            vm.expectRevert(abi.encodeWithSelector(INodeStaking.StakeStillThawing.selector, n, rec.thawEnd));
        }
        vm.prank(n);
        staking.withdrawStake(to);
        if (block.timestamp < rec.thawEnd) return;
        assertEq(token.balanceOf(to), out, "paid exactly the thawing stake");
        assertEq(staking.getNode(n).thawing, 0);
    }

    /// @notice stakeWithPermit: a live permit stakes exactly `amount`; an expired one is ignored and, without an
    /// allowance, the pull fails with the token's own error.
    function testFuzz_stakeWithPermitDeadline(uint256 deadline, uint96 amount) public {
        amount = uint96(bound(amount, 1, 1e27));
        deadline = bound(deadline, block.timestamp - 1 days, block.timestamp + 30 days);
        uint256 ownerPk = uint256(keccak256("permit staker"));
        address owner = vm.addr(ownerPk);
        token.transfer(owner, amount);
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(ownerPk, token, address(staking), amount, deadline);
        uint256 before = staking.getNode(node).staked;
        if (deadline < block.timestamp) {
            vm.expectRevert(
                abi.encodeWithSignature(
                    "ERC20InsufficientAllowance(address,uint256,uint256)",
                    address(staking),
                    0,
                    uint256(amount)
                )
            );
        }
        vm.prank(owner);
        staking.stakeWithPermit(node, amount, deadline, v, r, s);
        if (deadline < block.timestamp) return;
        assertEq(staking.getNode(node).staked - before, amount, "staked exactly");
    }

    /// @notice slash (escrow only) takes exactly `amount` from active stake first, then thawing; reward + treasury
    /// share == amount with reward = amount * rewardBps / 1e4; more than staked + thawing, or a reward above 100 %,
    /// is refused with the exact error.
    function testFuzz_slash(uint256 unstake, uint256 amount, uint256 rewardBps) public {
        unstake = bound(unstake, 0, 10_000e18);
        if (unstake != 0) {
            vm.prank(node);
            staking.requestUnstake(unstake);
        }
        uint256 total = staking.totalStakeOf(node);
        amount = bound(amount, 0, total + 1);
        rewardBps = bound(rewardBps, 0, BPS + 1);
        if (rewardBps > BPS) {
            vm.expectRevert(abi.encodeWithSelector(INodeStaking.RewardTooHigh.selector, rewardBps));
        } else if (amount > total) {
            vm.expectRevert(abi.encodeWithSelector(INodeStaking.SlashExceedsStake.selector, node, amount, total));
        }
        vm.prank(address(escrow));
        staking.slash(node, amount, challenger, rewardBps);
        if (rewardBps > BPS || amount > total) return;
        INodeStaking.Node memory n = staking.getNode(node);
        uint256 staked = 10_000e18 - unstake;
        assertEq(n.staked, amount <= staked ? staked - amount : 0, "active stake first");
        assertEq(uint256(n.staked) + n.thawing, total - amount, "took exactly amount");
        uint256 reward = (amount * rewardBps) / BPS;
        assertEq(staking.rewardsOf(challenger), reward, "reward");
        assertEq(staking.rewardsOf(treasury), amount - reward, "treasury share: reward + share == amount");
    }

    /// @notice setUnbondingPeriod accepts exactly [challenge window max + arbitration max + buffer, 90 days].
    function testFuzz_setUnbondingPeriod(uint40 period) public {
        uint40 min = 3 days + 7 days + 1 days;
        vm.prank(gov);
        if (period < min || period > 90 days) {
            vm.expectRevert(
                abi.encodeWithSelector(INodeStaking.UnbondingPeriodOutOfBounds.selector, period, min, uint40(90 days))
            );
            staking.setUnbondingPeriod(period);
            assertEq(staking.unbondingPeriod(), UNBONDING, "unchanged");
            return;
        }
        staking.setUnbondingPeriod(period);
        assertEq(staking.unbondingPeriod(), period, "set exactly");
    }

    // ---------------------------------------------------------------------------------------- TEE and registry

    /// @notice An enclave key's expiry must lie in (now, now + 90 days] (InvalidKeyExpiry otherwise); the key is active
    /// strictly before it and inactive from it.
    function testFuzz_enclaveKeyExpiry(uint40 life, uint40 elapsed) public {
        life = uint40(bound(life, 0, 91 days));
        uint40 expiresAt = uint40(block.timestamp) + life;
        uint256 pk = uint256(keccak256("fuzz enclave"));
        address key = vm.addr(pk);
        bytes32 digest = attestation.attestationDigest(address(tee), node, key, MEASUREMENT, expiresAt);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(attestationSignerPk, digest);
        if (life == 0 || life > 90 days) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ITeeRegistry.InvalidKeyExpiry.selector,
                    expiresAt,
                    uint40(block.timestamp + 90 days)
                )
            );
        }
        vm.prank(node);
        tee.registerEnclaveKey(key, MEASUREMENT, expiresAt, abi.encodePacked(r, s, v));
        if (life == 0 || life > 90 days) return;
        elapsed = uint40(bound(elapsed, 0, uint256(life) * 2));
        vm.warp(block.timestamp + elapsed);
        assertEq(tee.isActiveKey(key, node), block.timestamp < expiresAt, "active strictly before expiry");
    }

    /// @notice A version's royalty (a fee per inference) and minimum collateral are stored exactly as published and
    /// snapshotted into jobs: a payment below royalty + protocol fee is refused with PaymentTooLow(payment, minimum).
    function testFuzz_publishVersionRoyalty(uint96 royalty, uint96 minCollateral, uint96 payment) public {
        uint64 v = _publishTeeVersion(modelId, royalty, minCollateral);
        IModelRegistry.VersionTerms memory t = registry.versionTerms(v);
        assertEq(t.royalty, royalty, "royalty stored exactly");
        assertEq(t.minCollateral, minCollateral, "min collateral stored exactly");
        payment = uint96(bound(payment, 1, 1e15));
        uint256 minimum = uint256(royalty) + (uint256(payment) * FEE_BPS) / BPS;
        IInferenceEscrow.RequestParams memory p = _teeParams(payment, 600, uint40(block.timestamp + 3600));
        p.versionId = v;
        usd.mint(requester, payment);
        vm.startPrank(requester);
        usd.approve(address(escrow), payment);
        if (payment < minimum) {
            vm.expectRevert(abi.encodeWithSelector(IInferenceEscrow.PaymentTooLow.selector, payment, minimum));
        }
        escrow.requestInferenceWithTransfer(p);
        vm.stopPrank();
        if (payment < minimum) return;
        uint256 collateral = (uint256(payment) * RATE_BPS) / BPS;
        if (collateral < minCollateral) collateral = minCollateral;
        IInferenceEscrow.Job memory job = _teeJob(p, 0);
        assertEq(job.royalty, royalty);
        assertEq(
            escrow.jobCommitment(_jobId(job)),
            _commitment(job, IInferenceEscrow.Claim(address(0), 0), IInferenceEscrow.JobStatus.Open),
            "job snapshots the royalty, fee and collateral"
        );
        assertEq(job.collateral, collateral);
    }

    // ---------------------------------------------------------------------------------------- helpers

    function _teeParams(
        uint96 payment,
        uint40 window,
        uint40 expiresAt
    ) internal view returns (IInferenceEscrow.RequestParams memory) {
        return
            IInferenceEscrow.RequestParams({
                versionId: teeVersion,
                mode: MODE_TEE,
                node: address(0),
                payment: payment,
                deliveryWindow: window,
                expiresAt: expiresAt,
                callbackGasLimit: 0,
                inputDigest: keccak256("input"),
                inputURI: ""
            });
    }

    /// @dev The job a request of `p` by `requester` (nonce `nonce`) creates at the suite's fee and rate.
    function _teeJob(
        IInferenceEscrow.RequestParams memory p,
        uint32 nonce
    ) internal view returns (IInferenceEscrow.Job memory) {
        IModelRegistry.VersionTerms memory t = registry.versionTerms(p.versionId);
        uint256 collateral = (uint256(p.payment) * RATE_BPS) / BPS;
        if (collateral < t.minCollateral) collateral = t.minCollateral;
        return
            IInferenceEscrow.Job({
                requester: requester,
                nonce: nonce,
                versionId: p.versionId,
                callbackGasLimit: 0,
                node: address(0),
                mode: p.mode,
                modelId: t.modelId,
                payment: p.payment,
                royalty: t.royalty,
                feeBps: FEE_BPS,
                collateral: uint96(collateral),
                deliveryWindow: p.deliveryWindow,
                expiresAt: p.expiresAt,
                inputDigest: p.inputDigest,
                challengeWindow: p.mode == MODE_OPTIMISTIC ? CHALLENGE_WINDOW : 0
            });
    }

    /// @dev Requests an optimistic job of `payment`, and has the optimistic node claim it and propose a result.
    function _propose(
        uint96 payment
    )
        internal
        returns (
            IInferenceEscrow.Job memory job,
            IInferenceEscrow.Claim memory c,
            IInferenceEscrow.Proposal memory pr,
            bytes memory out
        )
    {
        IInferenceEscrow.RequestParams memory p = _teeParams(payment, 600, uint40(block.timestamp + 1 days));
        p.versionId = optimisticVersion;
        p.mode = MODE_OPTIMISTIC;
        usd.mint(requester, payment);
        vm.startPrank(requester);
        usd.approve(address(escrow), payment);
        escrow.requestInferenceWithTransfer(p);
        vm.stopPrank();
        job = _teeJob(p, 0);
        out = abi.encode("output");
        // Claim first, then propose: a proposal needs the proposer's claim.
        vm.prank(optimisticNode);
        escrow.claim(job);
        c = IInferenceEscrow.Claim(optimisticNode, uint40(block.timestamp + 600));
        vm.prank(optimisticNode);
        escrow.proposeResult(job, c, out);
        pr = IInferenceEscrow.Proposal(keccak256(out), uint40(block.timestamp) + CHALLENGE_WINDOW);
    }
}
