// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "./IModelRegistry.sol";
import {IResultVerifier} from "./IResultVerifier.sol";
import {JobId} from "../libraries/JobId.sol";

/// @title IZkResultVerifier
/// @author Veritas contributors
/// @notice ZK mode: a result is valid when the version's Groth16 verifier (a snarkjs verifier of any size, whose
/// codehash is still the one recorded at publication) accepts the proof for public signals built here, on chain:
/// `[output values as field elements (negatives as r + v)..., weightsCommitment, inputCommitment, jobTag]`, where
/// the weights commitment is the version's `weightsDigest`, the input commitment is the job's `inputDigest`, and
/// `jobTag = uint256(keccak256(abi.encode(JOB_TAG_DOMAIN, block.chainid, escrow, jobId, requester, node, versionId,
/// inputDigest))) % SCALAR_FIELD` with `escrow` the caller of `verifyResult`. Nothing of the public signals is taken
/// from the prover, so a proof is valid for one job, node, chain and escrow only.
/// @dev The output is `abi.encode(int256[] values)` (canonical encoding), the proof
/// `abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c)`. Groth16 proofs are malleable: a proof is never a
/// uniqueness key; the escrow's job status is.
interface IZkResultVerifier is IResultVerifier {
    /// @notice The version has no ZK verifier.
    /// @param versionId The version.
    error NoZkVerifier(uint64 versionId);
    /// @notice The version's verifier no longer has the code it had at publication (replaced, self-destructed, ...).
    /// @param versionId The version.
    /// @param verifier The verifier's address.
    /// @param expected The codehash recorded at publication.
    /// @param actual Its codehash now.
    error VerifierCodeChanged(uint64 versionId, address verifier, bytes32 expected, bytes32 actual);
    /// @notice The version's weights digest is not a BN254 field element, so it cannot be a circuit's weights commitment.
    /// @param versionId The version.
    /// @param weightsDigest Its weights digest.
    error WeightsCommitmentOutOfField(uint64 versionId, bytes32 weightsDigest);
    /// @notice The job's input digest is not a BN254 field element, so it cannot be a circuit's input commitment.
    /// @param inputDigest The job's input digest.
    error InputCommitmentOutOfField(bytes32 inputDigest);
    /// @notice The output is not a canonical `abi.encode(int256[])` of 1 to 1024 values, each in (-r/2, r/2).
    error InvalidOutput();
    /// @notice `ctx.outputHash` is not the hash of the output given.
    error OutputHashMismatch();
    /// @notice The proof is malformed, or the verifier refused it (or failed) for the public signals of this job.
    /// @param jobId The job.
    error InvalidProof(JobId jobId);
    /// @notice A Groth16 proof proves one inference: ZK results are submitted one by one.
    error BatchNotSupported();
    /// @notice A zero address was given.
    error ZeroAddress();

    /// @notice Domain separator of the job tag: `keccak256("veritas/zk/job-tag/v1")`.
    /// @return The domain separator.
    function JOB_TAG_DOMAIN() external view returns (bytes32);

    /// @notice The BN254 scalar field order r.
    /// @return r.
    function SCALAR_FIELD() external view returns (uint256);

    /// @notice The model registry the versions' verifiers and weights commitments are read from.
    /// @return The registry, set at deployment.
    function modelRegistry() external view returns (IModelRegistry);

    /// @notice The job tag a prover must use for a result that `escrow` will submit with context `ctx`
    /// (`ctx.outputHash` is ignored). Uses this chain's id.
    /// @param escrow The escrow that will call `verifyResult`.
    /// @param ctx The result context (its `node` is the account that submits the result).
    /// @return The tag, a BN254 field element.
    function jobTag(address escrow, ResultContext calldata ctx) external view returns (uint256);

    /// @notice The public signals `verifyResult` builds for `escrow`, `ctx` and `output`. Reverts like `verifyResult`
    /// for a version without a usable verifier, an out-of-field commitment or a malformed output.
    /// @param escrow The escrow that will call `verifyResult`.
    /// @param ctx The result context (`ctx.outputHash` is ignored).
    /// @param output The output, canonical `abi.encode(int256[])`.
    /// @return The public signals: the output values as field elements, the weights and input commitments, the tag.
    function publicSignals(
        address escrow,
        ResultContext calldata ctx,
        bytes calldata output
    ) external view returns (uint256[] memory);

    /// @notice The selector of `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[nPublic])` called on a
    /// verifier for `nPublic` public signals.
    /// @param nPublic The number of public signals (output values + 3).
    /// @return The function selector.
    function proofSelector(uint256 nPublic) external pure returns (bytes4);
}
