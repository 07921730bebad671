// SPDX-License-Identifier: CC0-1.0
pragma solidity 0.8.30;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IERCZKMLVerifier
/// @author Veritas contributors
/// @notice The verifier interface of ERC-7992 (draft, "Verifiable ML Model Inference (ZKML)",
/// https://eips.ethereum.org/EIPS/eip-7992): `verifyInference` reverts on any failure; returning means valid.
/// @dev As in the draft, with its `/* is IERC165 */` made real (see docs/erc-7992.md). The interface itself compiles
/// as drafted; the draft's reference implementation does not (it is not reproduced here).
interface IERCZKMLVerifier is IERC165 {
    /// @notice Emitted when an inference proof verified.
    /// @param modelId The registry model id.
    /// @param inputCommitment The commitment to the inputs.
    /// @param output The ABI-encoded public outputs.
    /// @param caller Who asked.
    event InferenceVerified(
        uint256 indexed modelId,
        bytes32 indexed inputCommitment,
        bytes output,
        address indexed caller
    );

    /// @notice The proof does not verify.
    error InvalidProof();
    /// @notice The proof verifies but is not tied to the given model id.
    error ModelMismatch();
    /// @notice The input commitment does not match.
    error InputCommitmentMismatch();
    /// @notice The output does not match its commitment or schema.
    error OutputMismatch();
    /// @notice The model's proof system is not supported.
    /// @param proofSystemId The model's proof system id.
    error UnsupportedProofSystem(bytes4 proofSystemId);
    /// @notice The model is deprecated: verification refused.
    /// @param modelId The model.
    error VerificationRefused_ModelDeprecated(uint256 modelId);

    /// @notice Verifies a ZK proof of an inference. MUST revert on any failure; success implies validity.
    /// @param modelId Registry model identifier.
    /// @param inputCommitment Commitment to the (private) inputs.
    /// @param output ABI-encoded public outputs.
    /// @param proof ZK proof bytes.
    function verifyInference(
        uint256 modelId,
        bytes32 inputCommitment,
        bytes calldata output,
        bytes calldata proof
    ) external;

    /// @notice The proof system id of a model (optional helper view).
    /// @param modelId The model.
    /// @return The model's `proofSystemId`.
    function proofSystemOf(uint256 modelId) external view returns (bytes4);

    /// @notice The registry this verifier reads model commitments from (optional helper view).
    /// @return registryAddress The registry's address.
    function registry() external view returns (address registryAddress);
}
