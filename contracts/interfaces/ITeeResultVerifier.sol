// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "./IModelRegistry.sol";
import {IResultVerifier} from "./IResultVerifier.sol";
import {ITeeRegistry} from "./ITeeRegistry.sol";

/// @title ITeeResultVerifier
/// @notice TEE mode: a result is valid when an active enclave key of the node, running a measurement the version
/// allows, signed the EIP-712 `InferenceResult(address escrow,uint256 jobId,uint64 modelVersion,bytes32 inputHash,bytes32 outputHash)`
/// under this verifier's domain (chain id included). A batch is one signature over
/// `InferenceBatch(InferenceResult[] results)`.
interface ITeeResultVerifier is IResultVerifier {
    /// @notice The signature is malformed or does not recover.
    error InvalidSignature();
    /// @notice The enclave's measurement is not allowed for the version.
    error MeasurementNotAllowed(uint64 versionId, bytes32 measurement);
    /// @notice A batch mixes nodes.
    error MixedBatch();
    /// @notice A batch has no result.
    error EmptyBatch();
    /// @notice A zero address was given.
    error ZeroAddress();

    /// @notice The EIP-712 type hash of one result.
    function RESULT_TYPEHASH() external view returns (bytes32);
    /// @notice The EIP-712 type hash of a batch.
    function BATCH_TYPEHASH() external view returns (bytes32);
    /// @notice The TEE registry.
    function teeRegistry() external view returns (ITeeRegistry);
    /// @notice The model registry.
    function modelRegistry() external view returns (IModelRegistry);
    /// @notice The digest an enclave signs for one result.
    function resultDigest(
        address escrow,
        uint256 jobId,
        uint64 versionId,
        bytes32 inputHash,
        bytes32 outputHash
    ) external view returns (bytes32);
    /// @notice The digest an enclave signs for a batch, from the results' EIP-712 struct hashes.
    function batchDigest(bytes32[] calldata resultStructHashes) external view returns (bytes32);
    /// @notice The EIP-712 struct hash of one result.
    function resultStructHash(
        address escrow,
        uint256 jobId,
        uint64 versionId,
        bytes32 inputHash,
        bytes32 outputHash
    ) external pure returns (bytes32);
}
