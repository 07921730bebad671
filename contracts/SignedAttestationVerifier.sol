// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {ISignedAttestationVerifier} from "./interfaces/ISignedAttestationVerifier.sol";

/// @title SignedAttestationVerifier
/// @author Veritas contributors
/// @notice Enclave attestations signed by governance-approved attestation services (EIP-712, bound to this chain, this
/// verifier and the calling registry).
contract SignedAttestationVerifier is ISignedAttestationVerifier, Ownable2Step, EIP712 {
    /// @inheritdoc ISignedAttestationVerifier
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "EnclaveAttestation(address registry,address node,address enclaveKey,bytes32 measurement,uint40 expiresAt)"
    );

    mapping(address signer => bool) private _signers;

    constructor(address owner_) Ownable(owner_) EIP712("Veritas Attestation", "1") {}

    /// @inheritdoc ISignedAttestationVerifier
    function setAttestationSigner(address signer, bool approved) external onlyOwner {
        require(signer != address(0), ZeroAddress());
        _signers[signer] = approved;
        emit AttestationSignerSet(signer, approved);
    }

    /// @inheritdoc ISignedAttestationVerifier
    function isAttestationSigner(address signer) external view returns (bool) {
        return _signers[signer];
    }

    /// @inheritdoc ISignedAttestationVerifier
    function attestationDigest(
        address registry,
        address node,
        address enclaveKey,
        bytes32 measurement,
        uint40 expiresAt
    ) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(ATTESTATION_TYPEHASH, registry, node, enclaveKey, measurement, expiresAt))
            );
    }

    /// @inheritdoc IAttestationVerifier
    /// @dev Checks the attestation for the calling registry (`msg.sender`): an EIP-712 signature by an approved signer.
    function verifyAttestation(
        address node,
        address enclaveKey,
        bytes32 measurement,
        uint40 expiresAt,
        bytes calldata attestation
    ) external view returns (bool) {
        bytes32 digest = attestationDigest(msg.sender, node, enclaveKey, measurement, expiresAt);
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, attestation);
        return err == ECDSA.RecoverError.NoError && _signers[signer];
    }
}
