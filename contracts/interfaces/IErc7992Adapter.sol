// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERCZKMLRegistry} from "./IERCZKMLRegistry.sol";
import {IERCZKMLVerifier} from "./IERCZKMLVerifier.sol";
import {IModelRegistry} from "./IModelRegistry.sol";

/// @title IErc7992Adapter
/// @author Veritas contributors
/// @notice ERC-7992 (draft) registry views and verifier over Veritas' `ModelRegistry`. An ERC `modelId` is a Veritas
/// version id (versions are immutable: one `modelId` per version, never updated). Only versions with a ZK verifier
/// are ERC models. The `ModelCommitment` of a version: `modelHash` = its `weightsDigest` (the circuit's weights
/// commitment), `circuitHash` = 0 (Veritas records none; the verifying key, pinned by codehash, is derived from the
/// circuit), `vkHash` = the verifier's codehash at publication (the snarkjs verifier embeds the verifying key),
/// `proofSystemId` = `bytes4(keccak256("groth16-bn254-v1"))`, `uri` = its artefact URI; `owner` = the holder of the
/// model's ERC-721 token.
/// `verifyInference` builds the public signals `[output values..., weightsDigest, inputCommitment, tag]` and calls the
/// version's Groth16 verifier (refused if its code changed since publication), with the caller-bound tag
/// `uint256(keccak256(abi.encode(TAG_DOMAIN, block.chainid, adapter, msg.sender, modelId, inputCommitment))) % r`:
/// a proof is valid for one caller, model, input, adapter and chain only. Output: canonical `abi.encode(int256[])`.
/// Registration goes through `ModelRegistry.publishVersion`: the ERC's mutators revert with `RegistryReadOnly`.
interface IErc7992Adapter is IERCZKMLRegistry, IERCZKMLVerifier {
    /// @notice Models are published as Veritas versions in the `ModelRegistry`, not through this adapter.
    error RegistryReadOnly();
    /// @notice The version's verifier no longer has the code it had at publication.
    /// @param versionId The version (ERC model id).
    /// @param verifier The verifier's address.
    /// @param expected The codehash recorded at publication.
    /// @param actual Its codehash now.
    error VerifierCodeChanged(uint64 versionId, address verifier, bytes32 expected, bytes32 actual);
    /// @notice A zero address was given.
    error ZeroAddress();

    /// @notice Domain separator of the caller-bound tag: `keccak256("veritas/zk/erc7992-tag/v1")`.
    function TAG_DOMAIN() external view returns (bytes32);

    /// @notice The proof system of every model here: `bytes4(keccak256("groth16-bn254-v1"))`.
    function PROOF_SYSTEM_ID() external view returns (bytes4);

    /// @notice The BN254 scalar field order r.
    function SCALAR_FIELD() external view returns (uint256);

    /// @notice The Veritas model registry the models are read from.
    function veritasRegistry() external view returns (IModelRegistry);

    /// @notice The tag a prover must use for a proof that `caller` will pass to `verifyInference` on this chain.
    /// @param caller The account that will call `verifyInference` (`msg.sender` there).
    /// @param modelId The ERC model id (a Veritas version id).
    /// @param inputCommitment The input commitment.
    function inferenceTag(address caller, uint256 modelId, bytes32 inputCommitment) external view returns (uint256);
}
