// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInferenceEscrow} from "../../contracts/interfaces/IInferenceEscrow.sol";

/// @dev The escrow's job statuses, grouped as the handlers and the invariants read them (one definition for both).

/// @dev Settled, Cancelled, Expired, Refunded: the job never moves again.
function isTerminal(IInferenceEscrow.JobStatus s) pure returns (bool) {
    return
        s == IInferenceEscrow.JobStatus.Settled ||
        s == IInferenceEscrow.JobStatus.Cancelled ||
        s == IInferenceEscrow.JobStatus.Expired ||
        s == IInferenceEscrow.JobStatus.Refunded;
}

/// @dev Open, Claimed, Proposed, Disputed: the escrow still holds the job's payment.
function holdsPayment(IInferenceEscrow.JobStatus s) pure returns (bool) {
    return s != IInferenceEscrow.JobStatus.None && !isTerminal(s);
}

/// @dev Claimed, Proposed, Disputed: the job locks its node's collateral.
function locksCollateral(IInferenceEscrow.JobStatus s) pure returns (bool) {
    return holdsPayment(s) && s != IInferenceEscrow.JobStatus.Open;
}
