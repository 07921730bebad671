// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IAttestationVerifier
/// @author Veritas contributors
/// @notice Checks that an enclave key was generated inside an enclave running `measurement`, for `node`.
/// @dev The shipped implementation (`SignedAttestationVerifier`) trusts an attestation service approved by governance,
/// which verifies the hardware quote (AWS Nitro, Intel TDX) off chain and signs an EIP-712 statement. A fully on-chain
/// quote verifier can implement this interface later without changing the registry.
interface IAttestationVerifier {
    /// @notice Whether `attestation` proves that `enclaveKey` belongs to an enclave of `measurement` run by `node`,
    /// valid until `expiresAt`, on this chain and for the calling registry.
    /// @param node The node registering the key.
    /// @param enclaveKey The enclave's signing address.
    /// @param measurement The measurement the enclave runs.
    /// @param expiresAt When the key's registration expires.
    /// @param attestation The evidence, in the verifier's format.
    /// @return True if the attestation is valid (false, not a revert, otherwise).
    function verifyAttestation(
        address node,
        address enclaveKey,
        bytes32 measurement,
        uint40 expiresAt,
        bytes calldata attestation
    ) external view returns (bool);
}
