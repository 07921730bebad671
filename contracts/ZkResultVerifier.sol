// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IResultVerifier} from "./interfaces/IResultVerifier.sol";
import {IZkResultVerifier} from "./interfaces/IZkResultVerifier.sol";
import {Groth16Lib} from "./libraries/Groth16Lib.sol";

/// @title ZkResultVerifier
/// @author Veritas contributors
/// @notice Verifies Groth16 proofs of inference against public signals built on chain from the job, the version and
/// the recorded output; the job tag binds a proof to one chain, escrow (the caller), job, requester, node, version
/// and input.
contract ZkResultVerifier is IZkResultVerifier {
    /// @inheritdoc IZkResultVerifier
    bytes32 public constant JOB_TAG_DOMAIN = keccak256("veritas/zk/job-tag/v1");
    /// @inheritdoc IZkResultVerifier
    uint256 public constant SCALAR_FIELD = Groth16Lib.SCALAR_FIELD;

    /// @inheritdoc IZkResultVerifier
    IModelRegistry public immutable modelRegistry;

    constructor(IModelRegistry modelRegistry_) {
        require(address(modelRegistry_) != address(0), ZeroAddress());
        modelRegistry = modelRegistry_;
    }

    /// @inheritdoc IResultVerifier
    function verifyResult(
        ResultContext calldata ctx,
        bytes calldata output,
        bytes calldata proof
    ) external view returns (bytes4) {
        require(keccak256(output) == ctx.outputHash, OutputHashMismatch());
        (address verifier, uint256 weights) = _verifierAndWeights(ctx.versionId);
        uint256 input = _inputCommitment(ctx);
        Groth16Lib.Status status = Groth16Lib.verify(verifier, output, proof, weights, input, _jobTag(msg.sender, ctx));
        require(status != Groth16Lib.Status.MalformedOutput, InvalidOutput());
        require(status == Groth16Lib.Status.Valid, InvalidProof(ctx.jobId));
        return IResultVerifier.verifyResult.selector;
    }

    /// @inheritdoc IResultVerifier
    /// @dev Always reverts with `BatchNotSupported`: each ZK result carries its own proof.
    function verifyBatch(ResultContext[] calldata, bytes calldata) external pure returns (bytes4) {
        revert BatchNotSupported();
    }

    /// @inheritdoc IZkResultVerifier
    function jobTag(address escrow, ResultContext calldata ctx) external view returns (uint256) {
        return _jobTag(escrow, ctx);
    }

    /// @inheritdoc IZkResultVerifier
    function publicSignals(
        address escrow,
        ResultContext calldata ctx,
        bytes calldata output
    ) external view returns (uint256[] memory signals) {
        (, uint256 weights) = _verifierAndWeights(ctx.versionId);
        bool ok;
        (ok, signals) = Groth16Lib.publicSignals(output, weights, _inputCommitment(ctx), _jobTag(escrow, ctx));
        require(ok, InvalidOutput());
    }

    /// @inheritdoc IZkResultVerifier
    function proofSelector(uint256 nPublic) external pure returns (bytes4) {
        return Groth16Lib.proofSelector(nPublic);
    }

    /// @dev The version's verifier, checked against its codehash at publication, and its weights commitment.
    function _verifierAndWeights(uint64 versionId) private view returns (address verifier, uint256 weights) {
        bytes32 expected;
        (verifier, expected) = modelRegistry.zkVerifierOf(versionId);
        require(verifier != address(0), NoZkVerifier(versionId));
        bytes32 actual = verifier.codehash;
        require(actual == expected, VerifierCodeChanged(versionId, verifier, expected, actual));
        bytes32 digest = modelRegistry.weightsDigestOf(versionId);
        weights = uint256(digest);
        require(weights < SCALAR_FIELD, WeightsCommitmentOutOfField(versionId, digest));
    }

    function _inputCommitment(ResultContext calldata ctx) private pure returns (uint256 input) {
        input = uint256(ctx.inputDigest);
        require(input < SCALAR_FIELD, InputCommitmentOutOfField(ctx.inputDigest));
    }

    /// @dev `uint256(keccak256(abi.encode(JOB_TAG_DOMAIN, block.chainid, escrow, jobId, requester, node, versionId,
    /// inputDigest))) % SCALAR_FIELD`. Reading the fields through Solidity checks they are clean ABI values.
    function _jobTag(address escrow, ResultContext calldata ctx) private view returns (uint256) {
        return
            uint256(
                keccak256(
                    abi.encode(
                        JOB_TAG_DOMAIN,
                        block.chainid,
                        escrow,
                        ctx.jobId,
                        ctx.requester,
                        ctx.node,
                        ctx.versionId,
                        ctx.inputDigest
                    )
                )
            ) % SCALAR_FIELD;
    }
}
