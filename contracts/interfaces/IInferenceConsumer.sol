// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {JobId} from "../libraries/JobId.sol";

/// @title IInferenceConsumer
/// @author Veritas contributors
/// @notice Implemented by contract requesters that ask for a callback (a non-zero `callbackGasLimit`). The escrow calls
/// it after settlement with exactly the gas the requester chose; a revert or an out-of-gas is recorded in an event and
/// never undoes the settlement.
interface IInferenceConsumer {
    /// @notice Receives the verified output of `jobId`. Only trust calls from the escrow.
    /// @param jobId The settled job (one of this contract's requests).
    /// @param output The verified output bytes.
    function onInferenceResult(JobId jobId, bytes calldata output) external;
}
