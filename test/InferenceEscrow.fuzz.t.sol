// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInferenceEscrow} from "../contracts/interfaces/IInferenceEscrow.sol";
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

    /// @notice For any payment, fee (<= 10 %) and royalty that the payment covers, settlement never reverts and
    /// credits nodeFee + royalty + protocolFee == payment, with protocolFee = floor(payment * fee / 1e4).
    /// hardhat-config: fuzz.runs = 200
    function testFuzz_feeSplitSumsToPayment(uint96 payment, uint16 feeBps, uint96 royalty, uint32 rate) public {
        feeBps = uint16(bound(feeBps, 0, 1_000));
        payment = uint96(bound(payment, 1, type(uint96).max));
        uint256 protocolFee = (uint256(payment) * feeBps) / BPS;
        royalty = uint96(bound(royalty, 0, payment - protocolFee));
        // A rate that keeps the collateral in range, so that the request cannot fail for it.
        rate = uint32(bound(rate, 0, type(uint96).max / payment < 100_000 ? type(uint96).max / payment : 100_000));

        IInferenceEscrow.Job memory job = _request(payment, feeBps, royalty, rate, 0);
        assertEq(job.payment, payment, "the request must not revert");

        uint256 nodeBefore = escrow.balanceOf(node);
        IInferenceEscrow.ModelAccrual memory before = escrow.accrualOf(modelId);
        uint256 held = usd.balanceOf(address(escrow));
        bytes memory output = abi.encode(payment, feeBps, royalty);
        bytes memory sig = _signResult(enclavePk, job, output);
        vm.prank(node);
        escrow.submitResult(job, IInferenceEscrow.Claim(address(0), 0), output, sig);

        IInferenceEscrow.ModelAccrual memory afterA = escrow.accrualOf(modelId);
        uint256 nodeFee = escrow.balanceOf(node) - nodeBefore;
        uint256 royaltyPaid = afterA.royalties - before.royalties;
        uint256 feePaid = afterA.protocolFees - before.protocolFees;
        assertEq(feePaid, protocolFee, "protocol fee = floor(payment * fee / BPS)");
        assertEq(royaltyPaid, royalty, "royalty as snapshotted");
        assertEq(nodeFee, uint256(payment) - royalty - protocolFee, "node fee is the rest");
        assertEq(nodeFee + royaltyPaid + feePaid, payment, "the split sums to the payment");
        assertEq(usd.balanceOf(address(escrow)), held, "settlement moves no tokens");
        assertEq(uint8(escrow.jobStatus(_jobId(job))), uint8(IInferenceEscrow.JobStatus.Settled));
    }

    /// @notice A payment that does not cover royalty plus fee is refused with the exact minimum.
    /// hardhat-config: fuzz.runs = 100
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
    /// hardhat-config: fuzz.runs = 200
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
