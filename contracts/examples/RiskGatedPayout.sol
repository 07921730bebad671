// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IInferenceEscrow} from "../interfaces/IInferenceEscrow.sol";
import {IRiskGatedPayout} from "../interfaces/IRiskGatedPayout.sol";
import {JobId} from "../libraries/JobId.sol";
import {MODE_TEE} from "../libraries/ConstantsLib.sol";
import {VeritasConsumer} from "../VeritasConsumer.sol";

/// @title RiskGatedPayout
/// @author Veritas contributors
/// @notice Example: pays `amount` of the payment token to `recipient` only if a verified inference labels it low-risk.
contract RiskGatedPayout is IRiskGatedPayout, VeritasConsumer {
    using SafeERC20 for IERC20;

    /// @notice Gas the callback needs (measured with margin in test/VeritasConsumer.ts).
    uint32 public constant CALLBACK_GAS = 80_000;

    /// @notice The only account that can fund inferences and propose payouts.
    address public immutable owner;
    /// @notice Payouts waiting for their job's result, by job id.
    mapping(JobId jobId => Payout) public pending;

    constructor(IInferenceEscrow escrow_, address owner_) VeritasConsumer(escrow_) {
        owner = owner_;
    }

    /// @notice Funds this contract's escrow balance (inference fees) from its own token balance (owner only).
    /// @param amount Payment-token units moved from this contract's token balance into its escrow balance.
    function fundInference(uint256 amount) external {
        require(msg.sender == owner, NotOwner(msg.sender));
        _depositToEscrow(amount);
    }

    /// @inheritdoc IRiskGatedPayout
    function requestPayout(
        address recipient,
        uint96 amount,
        uint64 versionId,
        uint96 fee,
        bytes32 inputDigest,
        string calldata inputURI
    ) external returns (JobId jobId) {
        require(msg.sender == owner, NotOwner(msg.sender));
        jobId = _requestInference(
            IInferenceEscrow.RequestParams({
                versionId: versionId,
                mode: MODE_TEE,
                node: address(0),
                payment: fee,
                deliveryWindow: 10 minutes,
                expiresAt: uint40(block.timestamp + 1 hours),
                callbackGasLimit: CALLBACK_GAS,
                inputDigest: inputDigest,
                inputURI: inputURI
            })
        );
        pending[jobId] = Payout(recipient, amount);
        emit PayoutRequested(jobId, recipient, amount);
    }

    /// @inheritdoc IRiskGatedPayout
    function claimCompensation(address to) external {
        require(msg.sender == owner, NotOwner(msg.sender));
        _claimCompensation(to);
    }

    /// @inheritdoc IRiskGatedPayout
    function withdrawFromEscrow(uint256 amount, address to) external {
        require(msg.sender == owner, NotOwner(msg.sender));
        _withdrawFromEscrow(amount, to);
    }

    function _onInferenceResult(JobId jobId, bytes calldata output) internal override {
        Payout memory p = pending[jobId];
        require(p.recipient != address(0), UnknownPayout(jobId));
        delete pending[jobId];
        int256[] memory values = abi.decode(output, (int256[]));
        int256 label = values[values.length - 1];
        if (label == 0) {
            emit PayoutApproved(jobId, p.recipient, p.amount);
            escrow.paymentToken().safeTransfer(p.recipient, p.amount);
        } else {
            emit PayoutRejected(jobId, label);
        }
    }
}
