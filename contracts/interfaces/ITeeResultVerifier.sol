// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "./IModelRegistry.sol";
import {IResultVerifier} from "./IResultVerifier.sol";
import {ITeeRegistry} from "./ITeeRegistry.sol";

/// @title ITeeResultVerifier
/// @author Veritas contributors
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
    /// @return The type hash of `InferenceResult`.
    function RESULT_TYPEHASH() external view returns (bytes32);
    /// @notice The EIP-712 type hash of a batch.
    /// @return The type hash of `InferenceBatch` (with `InferenceResult` appended).
    function BATCH_TYPEHASH() external view returns (bytes32);
    /// @notice The TEE registry.
    /// @return The registry enclave keys are checked in (active, owned by the node, approved measurement).
    function teeRegistry() external view returns (ITeeRegistry);
    /// @notice The model registry.
    /// @return The registry the versions' allowed measurements are read from.
    function modelRegistry() external view returns (IModelRegistry);
    /// @notice The digest an enclave signs for one result.
    /// @param escrow The escrow that will submit the result (the verifier's caller).
    /// @param jobId The job id, unwrapped.
    /// @param versionId The model version.
    /// @param inputHash The job's input digest.
    /// @param outputHash keccak256 of the output bytes.
    /// @return The EIP-712 digest under this verifier's domain ("Veritas TEE Result", version 1, this chain and
    /// address).
    function resultDigest(
        address escrow,
        uint256 jobId,
        uint64 versionId,
        bytes32 inputHash,
        bytes32 outputHash
    ) external view returns (bytes32);
    /// @notice The digest an enclave signs for a batch, from the results' EIP-712 struct hashes.
    /// @param resultStructHashes The `resultStructHash` of each result, in the order the batch lists the jobs.
    /// @return The EIP-712 digest of the `InferenceBatch`.
    function batchDigest(bytes32[] calldata resultStructHashes) external view returns (bytes32);
    /// @notice The EIP-712 struct hash of one result.
    /// @param escrow The escrow that will submit the result.
    /// @param jobId The job id, unwrapped.
    /// @param versionId The model version.
    /// @param inputHash The job's input digest.
    /// @param outputHash keccak256 of the output bytes.
    /// @return `keccak256(abi.encode(RESULT_TYPEHASH, escrow, jobId, versionId, inputHash, outputHash))`.
    function resultStructHash(
        address escrow,
        uint256 jobId,
        uint64 versionId,
        bytes32 inputHash,
        bytes32 outputHash
    ) external pure returns (bytes32);
}
