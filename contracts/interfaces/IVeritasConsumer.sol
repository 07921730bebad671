// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInferenceConsumer} from "./IInferenceConsumer.sol";
import {IInferenceEscrow} from "./IInferenceEscrow.sol";

/// @title IVeritasConsumer
/// @author Veritas contributors
/// @notice A contract that requests inferences from the Veritas escrow and receives verified results by callback.
interface IVeritasConsumer is IInferenceConsumer {
    /// @notice `onInferenceResult` was called by someone other than the escrow.
    /// @param caller The caller.
    error CallerNotEscrow(address caller);

    /// @notice The escrow this consumer requests from and accepts callbacks of.
    function escrow() external view returns (IInferenceEscrow);
}
