// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {JobId} from "../libraries/JobId.sol";

/// @title IResultVerifier
/// @author Veritas contributors
/// @notice A verification mode's checker, called by the escrow (`msg.sender`) before it settles a result. It returns
/// its own selector (`verifyResult.selector` or `verifyBatch.selector`) when the result is valid, and reverts with a
/// precise custom error otherwise. Everything it checks is bound to the job, the chain and the escrow.
interface IResultVerifier {
    /// @notice What a result is about, built by the escrow from the job it holds (never from the prover).
    /// @param jobId The job.
    /// @param requester Who paid for it.
    /// @param node The node the result is credited to.
    /// @param versionId The model version.
    /// @param inputDigest The job's input digest (for ZK: the input commitment).
    /// @param outputHash keccak256 of the output bytes that will be recorded and delivered.
    struct ResultContext {
        JobId jobId;
        address requester;
        address node;
        uint64 versionId;
        bytes32 inputDigest;
        bytes32 outputHash;
    }

    /// @notice Verifies one result. `output` is the recorded output (its hash is `ctx.outputHash`).
    /// @param ctx The job's context, built by the escrow.
    /// @param output The output bytes.
    /// @param proof The mode's evidence (TEE: an enclave signature; ZK: a Groth16 proof).
    /// @return magic `IResultVerifier.verifyResult.selector` if valid.
    function verifyResult(
        ResultContext calldata ctx,
        bytes calldata output,
        bytes calldata proof
    ) external view returns (bytes4 magic);

    /// @notice Verifies many results of one node with one proof (e.g. one enclave signature over all of them).
    /// @param ctxs The jobs' contexts, built by the escrow, in batch order.
    /// @param proof One piece of evidence for all of them.
    /// @return magic `IResultVerifier.verifyBatch.selector` if all are valid.
    function verifyBatch(ResultContext[] calldata ctxs, bytes calldata proof) external view returns (bytes4 magic);
}
