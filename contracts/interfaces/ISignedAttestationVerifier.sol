// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAttestationVerifier} from "./IAttestationVerifier.sol";

/// @title ISignedAttestationVerifier
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
    function ATTESTATION_TYPEHASH() external view returns (bytes32);
    /// @notice Approves or removes an attestation signer (governance).
    function setAttestationSigner(address signer, bool approved) external;
    /// @notice Whether `signer` is approved.
    function isAttestationSigner(address signer) external view returns (bool);
    /// @notice The EIP-712 digest an attestation service signs.
    function attestationDigest(
        address registry,
        address node,
        address enclaveKey,
        bytes32 measurement,
        uint40 expiresAt
    ) external view returns (bytes32);
}
