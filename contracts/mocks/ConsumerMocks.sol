// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceEscrow} from "../interfaces/IInferenceEscrow.sol";
import {JobId} from "../libraries/JobId.sol";

/// @notice Test-only contract requester: requests from its escrow balance (funded by anyone's `deposit` for it) and
/// asks for a callback. Subclasses decide what the callback does.
abstract contract ConsumerBase is IInferenceConsumer {
    IInferenceEscrow public immutable escrow;

    constructor(IInferenceEscrow escrow_) {
        escrow = escrow_;
    }

    function request(IInferenceEscrow.RequestParams calldata params) external returns (JobId) {
        return escrow.requestInference(params);
    }

    function cancel(IInferenceEscrow.Job calldata job) external {
        escrow.cancel(job);
    }

    function withdraw(uint256 amount, address to) external {
        escrow.withdraw(amount, to);
    }
}

/// @notice Records what the escrow delivered, and the gas it was given.
contract RecordingConsumer is ConsumerBase {
    JobId public lastJobId;
    bytes public lastOutput;
    uint256 public calls;
    uint256 public gasAtEntry;
    address public lastCaller;

    constructor(IInferenceEscrow escrow_) ConsumerBase(escrow_) {}

    function onInferenceResult(JobId jobId, bytes calldata output) external {
        uint256 g = gasleft();
        require(msg.sender == address(escrow), "only escrow");
        gasAtEntry = g;
        lastCaller = msg.sender;
        lastJobId = jobId;
        lastOutput = output;
        ++calls;
    }
}

/// @notice Always reverts in its callback (with a long reason, to check it is not copied).
contract RevertingConsumer is ConsumerBase {
    constructor(IInferenceEscrow escrow_) ConsumerBase(escrow_) {}

    function onInferenceResult(JobId, bytes calldata) external pure {
        bytes memory reason = new bytes(10_000);
        assembly ("memory-safe") {
            revert(add(reason, 0x20), mload(reason))
        }
    }
}

/// @notice Burns every unit of gas it is given.
contract GasBurningConsumer is ConsumerBase {
    uint256 public counter;

    constructor(IInferenceEscrow escrow_) ConsumerBase(escrow_) {}

    function onInferenceResult(JobId, bytes calldata) external {
        while (true) {
            ++counter;
        }
    }
}

/// @notice Calls back into the escrow from its callback with calldata set by the test. With `bubble`, a failed inner
/// call makes the callback revert; without, the outcome is recorded.
contract ReentrantConsumer is ConsumerBase {
    bytes public reentryData;
    bool public bubble;
    bool public attempted;
    bool public innerSuccess;
    bytes public innerReturn;

    constructor(IInferenceEscrow escrow_) ConsumerBase(escrow_) {}

    function setReentry(bytes calldata data, bool bubble_) external {
        reentryData = data;
        bubble = bubble_;
    }

    function onInferenceResult(JobId, bytes calldata) external {
        (bool ok, bytes memory ret) = address(escrow).call(reentryData);
        if (bubble && !ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        attempted = true;
        innerSuccess = ok;
        innerReturn = ret;
    }
}
