// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {IInferenceEscrow} from "../../contracts/interfaces/IInferenceEscrow.sol";
import {INodeStaking} from "../../contracts/interfaces/INodeStaking.sol";
import {BaseHandler} from "./BaseHandler.sol";
import {holdsPayment, locksCollateral} from "./JobStatuses.sol";
import {VeritasSuite} from "./VeritasSuite.sol";

/// @notice The conservation laws every invariant suite checks, written once: each suite's `invariant_*` functions call
/// these against its own handler (`_base()`), which keeps the ghost model they compare with (BaseHandler).
abstract contract ConservationInvariants is StdInvariant, VeritasSuite {
    /// @dev The three nodes the handler drives.
    address[3] internal nodes;

    /// @dev The suite's handler, as the BaseHandler the checks read.
    function _base() internal view virtual returns (BaseHandler);

    /// @dev The deployed suite as a handler drives it.
    function _handlerDeployment() internal view returns (BaseHandler.Deployment memory) {
        return
            BaseHandler.Deployment({
                escrow: escrow,
                staking: staking,
                registry: registry,
                usd: usd,
                token: token,
                gov: gov,
                treasury: treasury
            });
    }

    /// @dev Gives the handler staking tokens to hand out and makes its listed actions (weighted by repetition) the
    /// only calls the fuzzer makes.
    function _targetHandler(BaseHandler h, bytes4[] memory selectors) internal {
        token.transfer(address(h), 100_000_000e18);
        targetSelector(FuzzSelector({addr: address(h), selectors: selectors}));
        targetContract(address(h));
    }

    /// @dev No action was wrongly accepted or refused (the handler's verdicts).
    function _assertNoViolation() internal view {
        assertEq(_base().violations(), 0, _base().firstViolation());
    }

    /// @dev What the escrow owes in the payment token: every account balance (each equal to its ghost), the payments of
    /// the jobs not yet terminal (Open, Claimed, Proposed, Disputed), and the models' royalties and protocol fees (each
    /// equal to its ghost).
    function _escrowOwed() internal view returns (uint256 owed) {
        BaseHandler h = _base();
        address[] memory accounts = h.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            uint256 b = escrow.balanceOf(accounts[i]);
            assertEq(b, h.ghostBalance(accounts[i]), "account balance vs ghost");
            owed += b;
        }
        for (uint256 i; i < h.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, , ) = h.jobState(i);
            if (holdsPayment(escrow.jobStatus(_jobId(job)))) owed += job.payment;
        }
        uint256[2] memory models = h.models();
        for (uint256 i; i < 2; ++i) {
            IInferenceEscrow.ModelAccrual memory m = escrow.accrualOf(models[i]);
            assertEq(m.royalties, h.ghostRoyalties(models[i]), "royalties vs ghost");
            assertEq(m.protocolFees, h.ghostFees(models[i]), "protocol fees vs ghost");
            owed += uint256(m.royalties) + m.protocolFees;
        }
    }

    /// @dev The staking contract holds exactly every node's staked + thawing stake plus the unclaimed slash rewards
    /// (challengers', requesters', the treasury's); each node's stake record and each reward match the ghost.
    function _assertStakingTokenConserved() internal view {
        BaseHandler h = _base();
        uint256 owed;
        for (uint256 i; i < 3; ++i) {
            INodeStaking.Node memory n = staking.getNode(nodes[i]);
            (uint256 staked, uint256 thawing, uint40 thawEnd) = h.ghostNode(nodes[i]);
            assertEq(n.staked, staked, "staked vs ghost");
            assertEq(n.thawing, thawing, "thawing vs ghost");
            assertEq(n.thawEnd, thawEnd, "thawEnd vs ghost");
            owed += uint256(n.staked) + n.thawing;
        }
        address[] memory accounts = h.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            uint256 r = staking.rewardsOf(accounts[i]);
            assertEq(r, h.ghostRewards(accounts[i]), "slash rewards vs ghost");
            owed += r;
        }
        assertEq(token.balanceOf(address(staking)), owed, "staking token held == staked + thawing + rewards");
        _assertNoViolation();
    }

    /// @dev slashed <= locked <= staked: each node's locked collateral is the sum of the collateral of its Claimed,
    /// Proposed and Disputed jobs (and its ghost) and never exceeds its staked + thawing stake; every slash took exactly
    /// the collateral locked for its job (measured on the staking contract by the handler), and what slashes credited
    /// (reward + treasury share) equals what they took.
    function _assertLockedCollateral() internal view {
        BaseHandler h = _base();
        uint256[3] memory collateral;
        for (uint256 i; i < h.jobCount(); ++i) {
            (IInferenceEscrow.Job memory job, IInferenceEscrow.Claim memory c, IInferenceEscrow.JobStatus s) = h
                .jobState(i);
            if (!locksCollateral(s)) continue;
            for (uint256 k; k < 3; ++k) {
                if (nodes[k] == c.node) collateral[k] += job.collateral;
            }
        }
        for (uint256 k; k < 3; ++k) {
            uint256 locked = escrow.lockedCollateral(nodes[k]);
            assertEq(locked, collateral[k], "locked == collateral of the node's live jobs");
            assertEq(locked, h.ghostLocked(nodes[k]), "locked vs ghost");
            assertLe(locked, staking.totalStakeOf(nodes[k]), "locked <= staked + thawing");
        }
        uint256 slashed = h.ghostSlashed();
        assertEq(h.measuredSlashed(), slashed, "slashed (measured) == collateral of the slashed jobs");
        assertEq(h.measuredSlashCredits(), slashed, "reward + treasury share (measured) == slashed");
        assertEq(h.ghostSlashRewards() + h.ghostSlashToTreasury(), slashed, "reward + treasury == slashed");
        _assertNoViolation();
    }
}
