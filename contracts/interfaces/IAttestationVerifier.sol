// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IAttestationVerifier
/// @notice Checks that an enclave key was generated inside an enclave running `measurement`, for `node`.
/// @dev The shipped implementation (`SignedAttestationVerifier`) trusts an attestation service approved by governance,
/// which verifies the hardware quote (AWS Nitro, Intel TDX) off chain and signs an EIP-712 statement. A fully on-chain
/// quote verifier can implement this interface later without changing the registry.
interface IAttestationVerifier {
    /// @notice Whether `attestation` proves that `enclaveKey` belongs to an enclave of `measurement` run by `node`,
    /// valid until `expiresAt`, on this chain and for the calling registry.
    function verifyAttestation(
        address node,
        address enclaveKey,
        bytes32 measurement,
        uint40 expiresAt,
        bytes calldata attestation
    ) external view returns (bool);
}
