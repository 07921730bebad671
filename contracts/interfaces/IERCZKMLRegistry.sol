// SPDX-License-Identifier: CC0-1.0
pragma solidity 0.8.30;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IERCZKMLRegistry
/// @author Veritas contributors
/// @notice The registry interface of ERC-7992 (draft, "Verifiable ML Model Inference (ZKML)",
/// https://eips.ethereum.org/EIPS/eip-7992): a `modelId` names a `ModelCommitment`.
/// @dev As in the draft, with its compile errors fixed (see docs/erc-7992.md): the draft declares an event and an error
/// both named `ModelDeprecated`, which solc refuses ("Identifier already declared"); the error is `ModelIsDeprecated`
/// here. The draft's `/* is IERC165 */` is made real. Neither change alters the ERC-165 interface id (it covers the
/// functions declared here only).
interface IERCZKMLRegistry is IERC165 {
    /// @notice A bundle of hashes that ties a model's weights, architecture, circuit and verifying key together.
    /// @param modelHash Weights + architecture hash.
    /// @param circuitHash Arithmetic circuit / AIR hash.
    /// @param vkHash Verifying key hash.
    /// @param proofSystemId `bytes4(keccak256(<canonical proof system name and version>))`, e.g. "groth16-bn254-v1".
    /// @param uri Optional off-chain metadata (IPFS/HTTP).
    struct ModelCommitment {
        bytes32 modelHash;
        bytes32 circuitHash;
        bytes32 vkHash;
        bytes4 proofSystemId;
        string uri;
    }

    /// @notice Emitted when a model is registered.
    /// @param modelId The new model id.
    /// @param owner Its owner.
    /// @param commitment Its commitment.
    event ModelRegistered(uint256 indexed modelId, address indexed owner, ModelCommitment commitment);

    /// @notice Emitted when a model's commitment is replaced.
    /// @param modelId The model.
    /// @param oldCommitment The commitment before.
    /// @param newCommitment The commitment after.
    event ModelUpdated(uint256 indexed modelId, ModelCommitment oldCommitment, ModelCommitment newCommitment);

    /// @notice Emitted when a model is deprecated.
    /// @param modelId The model.
    event ModelDeprecated(uint256 indexed modelId);

    /// @notice No such model.
    /// @param modelId The id asked for.
    error ModelNotFound(uint256 modelId);
    /// @notice The caller does not own the model.
    /// @param modelId The model.
    /// @param caller The caller.
    error NotModelOwner(uint256 modelId, address caller);
    /// @notice The model is deprecated. (The draft names this error `ModelDeprecated`, like the event: a compile error.)
    /// @param modelId The model.
    error ModelIsDeprecated(uint256 modelId);

    /// @notice Registers a model commitment.
    /// @param commitment The commitment.
    /// @return modelId A unique id.
    function registerModel(ModelCommitment calldata commitment) external returns (uint256 modelId);

    /// @notice Replaces a model's commitment (owner only).
    /// @param modelId The model.
    /// @param newCommitment The new commitment.
    function updateModel(uint256 modelId, ModelCommitment calldata newCommitment) external;

    /// @notice Deprecates a model (owner only).
    /// @param modelId The model.
    function deprecateModel(uint256 modelId) external;

    /// @notice A model's current commitment, deprecation status and owner.
    /// @param modelId The model.
    /// @return commitment Its current commitment.
    /// @return deprecated Whether it is deprecated.
    /// @return owner Its owner.
    function getModel(
        uint256 modelId
    ) external view returns (ModelCommitment memory commitment, bool deprecated, address owner);
}
