// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IInferenceConsumer} from "./interfaces/IInferenceConsumer.sol";
import {IInferenceEscrow} from "./interfaces/IInferenceEscrow.sol";
import {IVeritasConsumer} from "./interfaces/IVeritasConsumer.sol";
import {JobId} from "./libraries/JobId.sol";

/// @title VeritasConsumer
/// @author Veritas contributors
/// @notice Base for Solidity integrators: request an inference from your contract and receive the verified output in
/// `_onInferenceResult`, which only the escrow can trigger. Requests are paid from this contract's prepaid balance in
/// the escrow (`_depositToEscrow`). Keep `_onInferenceResult` within the gas limit you ask for: if it reverts or runs
/// out of gas, the job still settles and the node is still paid; the escrow only records `CallbackExecuted(id, false)`.
abstract contract VeritasConsumer is IVeritasConsumer {
    using SafeERC20 for IERC20;

    /// @inheritdoc IVeritasConsumer
    IInferenceEscrow public immutable escrow;

    constructor(IInferenceEscrow escrow_) {
        escrow = escrow_;
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceResult(JobId jobId, bytes calldata output) external {
        require(msg.sender == address(escrow), CallerNotEscrow(msg.sender));
        _onInferenceResult(jobId, output);
    }

    /// @dev Requests an inference paid from this contract's escrow balance. Set `callbackGasLimit` to what
    /// `_onInferenceResult` needs.
    function _requestInference(IInferenceEscrow.RequestParams memory params) internal returns (JobId) {
        return escrow.requestInference(params);
    }

    /// @dev Moves `amount` of the payment token held by this contract into its escrow balance.
    function _depositToEscrow(uint256 amount) internal {
        IERC20 token = escrow.paymentToken();
        token.forceApprove(address(escrow), amount);
        escrow.deposit(address(this), amount);
    }

    /// @dev Starts the cancel of an open job of this contract; `_cancel` completes it after the grace period.
    function _requestCancel(IInferenceEscrow.Job memory job) internal {
        escrow.requestCancel(job);
    }

    /// @dev Cancels an open job of this contract after its grace period: the payment returns to its escrow balance.
    function _cancel(IInferenceEscrow.Job memory job) internal {
        escrow.cancel(job);
    }

    /// @dev Withdraws `amount` of this contract's escrow balance (refunds, unspent deposits) to `to`.
    function _withdrawFromEscrow(uint256 amount, address to) internal {
        escrow.withdraw(amount, to);
    }

    /// @dev Claims the staking-token compensation credited to this contract in `NodeStaking` (its share of a
    /// missed-deadline slash, as requester) to `to`. Without this, a contract requester could never move it.
    function _claimCompensation(address to) internal {
        escrow.staking().claimRewards(to);
    }

    /// @dev Receives a verified output. Called by the escrow only, with the gas limit of the request.
    function _onInferenceResult(JobId jobId, bytes calldata output) internal virtual;
}
