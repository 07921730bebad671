// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IResultVerifier} from "./interfaces/IResultVerifier.sol";
import {ITeeRegistry} from "./interfaces/ITeeRegistry.sol";
import {ITeeResultVerifier} from "./interfaces/ITeeResultVerifier.sol";
import {JobId} from "./libraries/JobId.sol";

/// @title TeeResultVerifier
/// @author Veritas contributors
/// @notice Verifies enclave signatures over results, bound to chain id, escrow (the caller), job, version and input.
contract TeeResultVerifier is ITeeResultVerifier, EIP712 {
    /// @inheritdoc ITeeResultVerifier
    bytes32 public constant RESULT_TYPEHASH = keccak256(
        "InferenceResult(address escrow,uint256 jobId,uint64 modelVersion,bytes32 inputHash,bytes32 outputHash)"
    );
    /// @inheritdoc ITeeResultVerifier
    bytes32 public constant BATCH_TYPEHASH = keccak256(
        "InferenceBatch(InferenceResult[] results)InferenceResult(address escrow,uint256 jobId,uint64 modelVersion,bytes32 inputHash,bytes32 outputHash)"
    );

    /// @inheritdoc ITeeResultVerifier
    ITeeRegistry public immutable teeRegistry;
    /// @inheritdoc ITeeResultVerifier
    IModelRegistry public immutable modelRegistry;

    constructor(ITeeRegistry teeRegistry_, IModelRegistry modelRegistry_) EIP712("Veritas TEE Result", "1") {
        require(address(teeRegistry_) != address(0) && address(modelRegistry_) != address(0), ZeroAddress());
        teeRegistry = teeRegistry_;
        modelRegistry = modelRegistry_;
    }

    /// @inheritdoc IResultVerifier
    function verifyResult(
        ResultContext calldata ctx,
        bytes calldata,
        bytes calldata proof
    ) external view returns (bytes4) {
        bytes32 digest = _hashTypedDataV4(_structHash(msg.sender, ctx));
        _checkSigner(digest, proof, ctx.node, ctx.versionId);
        return IResultVerifier.verifyResult.selector;
    }

    /// @inheritdoc IResultVerifier
    function verifyBatch(ResultContext[] calldata ctxs, bytes calldata proof) external view returns (bytes4) {
        uint256 n = ctxs.length;
        require(n != 0, EmptyBatch());
        bytes32[] memory hashes = new bytes32[](n);
        address node = ctxs[0].node;
        for (uint256 i; i < n; ++i) {
            require(ctxs[i].node == node, MixedBatch());
            hashes[i] = _structHash(msg.sender, ctxs[i]);
        }
        bytes32 digest;
        // keccak256 of the struct hashes packed, read in place (abi.encodePacked would copy the array first).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            digest := keccak256(add(hashes, 0x20), mul(n, 0x20))
        }
        digest = _hashTypedDataV4(keccak256(abi.encode(BATCH_TYPEHASH, digest)));
        bytes32 measurement = _checkSigner(digest, proof, node, ctxs[0].versionId);
        uint64 checked = ctxs[0].versionId;
        for (uint256 i = 1; i < n; ++i) {
            uint64 v = ctxs[i].versionId;
            if (v != checked) {
                require(modelRegistry.isTeeMeasurementAllowed(v, measurement), MeasurementNotAllowed(v, measurement));
                checked = v;
            }
        }
        return IResultVerifier.verifyBatch.selector;
    }

    /// @inheritdoc ITeeResultVerifier
    function resultDigest(
        address escrow,
        uint256 jobId,
        uint64 versionId,
        bytes32 inputHash,
        bytes32 outputHash
    ) external view returns (bytes32) {
        return _hashTypedDataV4(resultStructHash(escrow, jobId, versionId, inputHash, outputHash));
    }

    /// @inheritdoc ITeeResultVerifier
    function batchDigest(bytes32[] calldata resultStructHashes) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BATCH_TYPEHASH, keccak256(abi.encodePacked(resultStructHashes)))));
    }

    /// @inheritdoc ITeeResultVerifier
    function resultStructHash(
        address escrow,
        uint256 jobId,
        uint64 versionId,
        bytes32 inputHash,
        bytes32 outputHash
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(RESULT_TYPEHASH, escrow, jobId, versionId, inputHash, outputHash));
    }

    function _structHash(address escrow, ResultContext calldata ctx) private pure returns (bytes32) {
        return resultStructHash(escrow, JobId.unwrap(ctx.jobId), ctx.versionId, ctx.inputDigest, ctx.outputHash);
    }

    /// @dev Recovers the enclave key, checks it is an active key of `node`, and that the version allows its measurement.
    function _checkSigner(
        bytes32 digest,
        bytes calldata signature,
        address node,
        uint64 versionId
    ) private view returns (bytes32 measurement) {
        (address key, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        require(err == ECDSA.RecoverError.NoError, InvalidSignature());
        measurement = teeRegistry.activeKeyMeasurement(key, node);
        require(
            modelRegistry.isTeeMeasurementAllowed(versionId, measurement),
            MeasurementNotAllowed(versionId, measurement)
        );
    }
}
