// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IErc7992Adapter} from "../interfaces/IErc7992Adapter.sol";
import {IERCZKMLRegistry} from "../interfaces/IERCZKMLRegistry.sol";
import {IERCZKMLVerifier} from "../interfaces/IERCZKMLVerifier.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {Groth16Lib} from "../libraries/Groth16Lib.sol";

/// @title Erc7992Adapter
/// @author Veritas contributors
/// @notice ERC-7992 (draft) view of Veritas model versions and verifier of their Groth16 inference proofs, outside any
/// escrow (no payment, no job): for contracts that speak the ERC.
contract Erc7992Adapter is IErc7992Adapter {
    /// @inheritdoc IErc7992Adapter
    bytes32 public constant TAG_DOMAIN = keccak256("veritas/zk/erc7992-tag/v1");
    /// @inheritdoc IErc7992Adapter
    bytes4 public constant PROOF_SYSTEM_ID = bytes4(keccak256("groth16-bn254-v1"));
    /// @inheritdoc IErc7992Adapter
    uint256 public constant SCALAR_FIELD = Groth16Lib.SCALAR_FIELD;

    /// @inheritdoc IErc7992Adapter
    IModelRegistry public immutable veritasRegistry;

    constructor(IModelRegistry veritasRegistry_) {
        require(address(veritasRegistry_) != address(0), ZeroAddress());
        veritasRegistry = veritasRegistry_;
    }

    // ---------------------------------------------------------------- ERC-7992 verifier

    /// @inheritdoc IERCZKMLVerifier
    function verifyInference(
        uint256 modelId,
        bytes32 inputCommitment,
        bytes calldata output,
        bytes calldata proof
    ) external {
        uint64 versionId = _versionId(modelId);
        require(!veritasRegistry.versionTerms(versionId).deprecated, VerificationRefused_ModelDeprecated(modelId));
        (address verifier, bytes32 expected) = veritasRegistry.zkVerifierOf(versionId);
        require(verifier != address(0), ModelNotFound(modelId));
        bytes32 actual = verifier.codehash;
        require(actual == expected, VerifierCodeChanged(versionId, verifier, expected, actual));
        uint256 weights = uint256(veritasRegistry.weightsDigestOf(versionId));
        require(weights < SCALAR_FIELD, ModelMismatch());
        uint256 input = uint256(inputCommitment);
        require(input < SCALAR_FIELD, InputCommitmentMismatch());

        Groth16Lib.Status status = Groth16Lib.verify(
            verifier,
            output,
            proof,
            weights,
            input,
            _tag(msg.sender, modelId, inputCommitment)
        );
        require(status != Groth16Lib.Status.MalformedOutput, OutputMismatch());
        require(status == Groth16Lib.Status.Valid, InvalidProof());
        emit InferenceVerified(modelId, inputCommitment, output, msg.sender);
    }

    /// @inheritdoc IERCZKMLVerifier
    function proofSystemOf(uint256 modelId) external view returns (bytes4) {
        (address verifier, ) = veritasRegistry.zkVerifierOf(_versionId(modelId));
        require(verifier != address(0), ModelNotFound(modelId));
        return PROOF_SYSTEM_ID;
    }

    /// @inheritdoc IERCZKMLVerifier
    /// @dev This adapter is also the ERC registry (a view over the Veritas `ModelRegistry`).
    function registry() external view returns (address) {
        return address(this);
    }

    /// @inheritdoc IErc7992Adapter
    function inferenceTag(address caller, uint256 modelId, bytes32 inputCommitment) external view returns (uint256) {
        return _tag(caller, modelId, inputCommitment);
    }

    // ---------------------------------------------------------------- ERC-7992 registry

    /// @inheritdoc IERCZKMLRegistry
    /// @dev Always reverts with `RegistryReadOnly`: publish a version in the Veritas `ModelRegistry` instead.
    function registerModel(ModelCommitment calldata) external pure returns (uint256) {
        revert RegistryReadOnly();
    }

    /// @inheritdoc IERCZKMLRegistry
    /// @dev Always reverts with `RegistryReadOnly`: Veritas versions are immutable (publish a new version).
    function updateModel(uint256, ModelCommitment calldata) external pure {
        revert RegistryReadOnly();
    }

    /// @inheritdoc IERCZKMLRegistry
    /// @dev Always reverts with `RegistryReadOnly`: the model owner calls `ModelRegistry.deprecateVersion`.
    function deprecateModel(uint256) external pure {
        revert RegistryReadOnly();
    }

    /// @inheritdoc IERCZKMLRegistry
    function getModel(
        uint256 modelId
    ) external view returns (ModelCommitment memory commitment, bool deprecated, address owner) {
        IModelRegistry.Version memory v = veritasRegistry.getVersion(_versionId(modelId));
        require(v.zkVerifier != address(0), ModelNotFound(modelId));
        commitment = ModelCommitment({
            modelHash: v.weightsDigest,
            circuitHash: bytes32(0),
            vkHash: v.zkVerifierCodehash,
            proofSystemId: PROOF_SYSTEM_ID,
            uri: v.artifactURI
        });
        deprecated = v.terms.deprecated;
        owner = veritasRegistry.modelOwner(v.terms.modelId);
    }

    // ---------------------------------------------------------------- ERC-165

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return
            interfaceId == type(IERC165).interfaceId ||
            interfaceId == type(IERCZKMLRegistry).interfaceId ||
            interfaceId == type(IERCZKMLVerifier).interfaceId ||
            interfaceId == type(IErc7992Adapter).interfaceId;
    }

    // ---------------------------------------------------------------- internals

    /// @dev The version id of an ERC model id; `ModelNotFound` unless a version with that id exists.
    function _versionId(uint256 modelId) private view returns (uint64) {
        require(modelId != 0 && modelId <= veritasRegistry.versionCount(), ModelNotFound(modelId));
        return uint64(modelId);
    }

    function _tag(address caller, uint256 modelId, bytes32 inputCommitment) private view returns (uint256) {
        return
            uint256(keccak256(abi.encode(TAG_DOMAIN, block.chainid, address(this), caller, modelId, inputCommitment))) %
            SCALAR_FIELD;
    }
}
