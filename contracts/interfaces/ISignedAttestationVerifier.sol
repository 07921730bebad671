// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAttestationVerifier} from "./IAttestationVerifier.sol";

/// @title ISignedAttestationVerifier
/// @author Veritas contributors
/// @notice Accepts an EIP-712 `EnclaveAttestation` signed by a governance-approved attestation service. The service
/// is trusted to have verified the enclave's hardware quote off chain: this is a trust assumption, stated in
/// docs/threat-model.md.
interface ISignedAttestationVerifier is IAttestationVerifier {
    /// @notice Emitted when governance approves or removes an attestation signer.
    /// @param signer The attestation service's signing address.
    /// @param approved Whether it is now approved.
    event AttestationSignerSet(address indexed signer, bool approved);

    /// @notice A zero address was given.
    error ZeroAddress();

    /// @notice The EIP-712 type hash of `EnclaveAttestation(address registry,address node,address enclaveKey,bytes32 measurement,uint40 expiresAt)`.
    /// @return The type hash.
    function ATTESTATION_TYPEHASH() external view returns (bytes32);
    /// @notice Approves or removes an attestation signer (governance).
    /// @dev Owner only. Reverts with `ZeroAddress`. Removing a signer refuses its later attestations only: keys it
    /// attested before stay registered until they expire, are revoked, or their measurement is revoked.
    /// @param signer The attestation service's signing address.
    /// @param approved True to approve, false to remove.
    function setAttestationSigner(address signer, bool approved) external;
    /// @notice Whether `signer` is approved.
    /// @param signer The address.
    /// @return True if its attestations are currently accepted.
    function isAttestationSigner(address signer) external view returns (bool);
    /// @notice The EIP-712 digest an attestation service signs.
    /// @param registry The TEE registry that will call `verifyAttestation`.
    /// @param node The node registering the key.
    /// @param enclaveKey The enclave's signing address.
    /// @param measurement The measurement the enclave runs.
    /// @param expiresAt When the attestation (and the key's registration) expires.
    /// @return The digest under this verifier's domain ("Veritas Attestation", version 1, this chain and address).
    function attestationDigest(
        address registry,
        address node,
        address enclaveKey,
        bytes32 measurement,
        uint40 expiresAt
    ) external view returns (bytes32);
}
