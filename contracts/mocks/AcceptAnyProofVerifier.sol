// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Test-only Groth16 "verifier" that accepts every proof for any number of public signals: what a model owner's
/// malicious verifier, or a verifier of a setup whose toxic waste is known, amounts to.
contract AcceptAnyProofVerifier {
    /// @notice Answers every `verifyProof(...)` with `true`.
    fallback(bytes calldata) external returns (bytes memory) {
        return abi.encode(true);
    }
}
