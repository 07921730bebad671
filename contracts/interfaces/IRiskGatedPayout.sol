// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {JobId} from "../libraries/JobId.sol";

/// @title IRiskGatedPayout
/// @author Veritas contributors
/// @notice Example integration: a treasury that pays out only after a Veritas model classifies the payout as low risk.
/// The model's output is `abi.encode(int256[] [logit0, logit1, logit2, label])` (the reference MLP); label 0 is "low
/// risk".
interface IRiskGatedPayout {
    /// @notice A payout waiting for its risk score.
    /// @param recipient Who is paid if approved.
    /// @param amount How much.
    struct Payout {
        address recipient;
        uint96 amount;
    }

    /// @notice Emitted when a payout is proposed and its risk inference requested.
    /// @param jobId The inference job.
    /// @param recipient The recipient.
    /// @param amount The amount.
    event PayoutRequested(JobId indexed jobId, address indexed recipient, uint256 amount);
    /// @notice Emitted when the model scored the payout low-risk and it was paid.
    /// @param jobId The inference job.
    /// @param recipient The recipient.
    /// @param amount The amount.
    event PayoutApproved(JobId indexed jobId, address indexed recipient, uint256 amount);
    /// @notice Emitted when the model scored the payout risky: nothing is paid.
    /// @param jobId The inference job.
    /// @param label The model's label.
    event PayoutRejected(JobId indexed jobId, int256 label);

    /// @notice Only the owner may propose payouts.
    error NotOwner(address caller);
    /// @notice The job is not a pending payout of this contract.
    error UnknownPayout(JobId jobId);

    /// @notice Proposes a payout and requests a TEE-verified risk score of the payout's features (owner only).
    /// @dev The fee is paid from this contract's escrow balance (`fundInference`). Reverts with `NotOwner` or the
    /// escrow's request errors.
    /// @param recipient Who is paid if the model labels the payout low-risk.
    /// @param amount Payment-token units paid from this contract's own token balance on approval.
    /// @param versionId The risk model's version (must support TEE mode).
    /// @param fee The inference payment, in payment-token units.
    /// @param inputDigest Digest of the features the node scores.
    /// @param inputURI Where the node fetches the features.
    /// @return The inference job's id.
    function requestPayout(
        address recipient,
        uint96 amount,
        uint64 versionId,
        uint96 fee,
        bytes32 inputDigest,
        string calldata inputURI
    ) external returns (JobId);
    /// @notice Claims the staking-token compensation `NodeStaking` credited to this contract as a requester (its share
    /// of a node's missed-deadline slash) to `to` (owner only).
    /// @dev Reverts with `NotOwner` or the staking contract's `NothingToClaim` / `ZeroAddress`.
    /// @param to Receiver of the staking tokens.
    function claimCompensation(address to) external;
    /// @notice Withdraws this contract's escrow balance (refunds of expired or cancelled jobs, unspent fees) to `to`
    /// (owner only).
    /// @dev Reverts with `NotOwner` or the escrow's `withdraw` errors.
    /// @param amount Payment-token units.
    /// @param to Receiver.
    function withdrawFromEscrow(uint256 amount, address to) external;
}
