// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IResultVerifier} from "../interfaces/IResultVerifier.sol";

/// @notice Test-only verifier: accepts every result, or (once `setReject(true)`) returns a wrong magic value.
contract MockResultVerifier is IResultVerifier {
    bool public reject;

    function setReject(bool reject_) external {
        reject = reject_;
    }

    function verifyResult(ResultContext calldata, bytes calldata, bytes calldata) external view returns (bytes4) {
        return reject ? bytes4(0xdeadbeef) : IResultVerifier.verifyResult.selector;
    }

    function verifyBatch(ResultContext[] calldata, bytes calldata) external view returns (bytes4) {
        return reject ? bytes4(0xdeadbeef) : IResultVerifier.verifyBatch.selector;
    }
}
