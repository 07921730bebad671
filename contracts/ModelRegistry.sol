// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {MAX_MODE, MODE_TEE, MODE_ZK} from "./libraries/ConstantsLib.sol";

/// @title ModelRegistry
/// @author Veritas contributors
/// @notice Models as ERC-721 tokens with immutable versions. No admin: nobody but a model's owner can add to it.
contract ModelRegistry is IModelRegistry, ERC721 {
    uint256 private _modelCount;
    uint64 private _versionCount;

    mapping(uint64 versionId => Version) private _versions;
    mapping(uint64 versionId => bytes32[]) private _teeMeasurements;
    mapping(uint64 versionId => mapping(bytes32 measurement => bool)) private _teeAllowed;
    mapping(uint256 modelId => uint64[]) private _modelVersions;
    mapping(uint256 modelId => string) private _metadataURIs;

    constructor() ERC721("Veritas Model", "VMODEL") {}

    /// @inheritdoc IModelRegistry
    function createModel(string calldata metadataURI) external returns (uint256 modelId) {
        modelId = ++_modelCount;
        _metadataURIs[modelId] = metadataURI;
        _safeMint(msg.sender, modelId);
        emit ModelCreated(modelId, msg.sender, metadataURI);
    }

    /// @inheritdoc IModelRegistry
    function publishVersion(uint256 modelId, VersionParams calldata p) external returns (uint64 versionId) {
        _checkModelOwner(modelId);
        require(p.weightsDigest != bytes32(0), ZeroWeightsDigest());
        require(p.modes != 0 && p.modes >> (MAX_MODE + 1) == 0 && p.modes & 1 == 0, InvalidModes(p.modes));
        bool zk = p.modes & (1 << MODE_ZK) != 0;
        require(zk == (p.zkVerifier != address(0)), InvalidZkVerifier(p.zkVerifier));
        require(!zk || p.zkVerifier.code.length != 0, InvalidZkVerifier(p.zkVerifier));
        bool tee = p.modes & (1 << MODE_TEE) != 0;
        require(tee == (p.teeMeasurements.length != 0), InvalidTeeMeasurements());

        versionId = ++_versionCount;
        Version storage v = _versions[versionId];
        v.terms = VersionTerms({
            modelId: uint48(modelId),
            royalty: p.royalty,
            minCollateral: p.minCollateral,
            modes: p.modes,
            deprecated: false
        });
        v.weightsDigest = p.weightsDigest;
        v.ioSchemaDigest = p.ioSchemaDigest;
        v.zkVerifier = p.zkVerifier;
        v.publishedAt = uint40(block.timestamp);
        bytes32 codehash = zk ? p.zkVerifier.codehash : bytes32(0);
        v.zkVerifierCodehash = codehash;
        v.artifactURI = p.artifactURI;
        for (uint256 i; i < p.teeMeasurements.length; ++i) {
            bytes32 m = p.teeMeasurements[i];
            require(m != bytes32(0) && !_teeAllowed[versionId][m], InvalidTeeMeasurements());
            _teeAllowed[versionId][m] = true;
        }
        _teeMeasurements[versionId] = p.teeMeasurements;
        _modelVersions[modelId].push(versionId);

        emit VersionPublished(
            versionId,
            modelId,
            p.weightsDigest,
            p.ioSchemaDigest,
            p.artifactURI,
            p.royalty,
            p.minCollateral,
            p.modes,
            p.zkVerifier,
            codehash,
            p.teeMeasurements
        );
    }

    /// @inheritdoc IModelRegistry
    function deprecateVersion(uint64 versionId) external {
        VersionTerms storage t = _existingVersion(versionId).terms;
        uint256 modelId = t.modelId;
        _checkModelOwner(modelId);
        require(!t.deprecated, VersionAlreadyDeprecated(versionId));
        t.deprecated = true;
        emit VersionDeprecated(versionId, modelId);
    }

    /// @inheritdoc IModelRegistry
    function versionTerms(uint64 versionId) external view returns (VersionTerms memory t) {
        t = _versions[versionId].terms;
        // A published version always has a model (model ids start at 1): one storage read instead of two.
        require(t.modelId != 0, UnknownVersion(versionId));
    }

    /// @inheritdoc IModelRegistry
    function getVersion(uint64 versionId) external view returns (Version memory) {
        return _existingVersion(versionId);
    }

    /// @inheritdoc IModelRegistry
    function zkVerifierOf(uint64 versionId) external view returns (address verifier, bytes32 codehash) {
        Version storage v = _existingVersion(versionId);
        return (v.zkVerifier, v.zkVerifierCodehash);
    }

    /// @inheritdoc IModelRegistry
    function weightsDigestOf(uint64 versionId) external view returns (bytes32) {
        return _existingVersion(versionId).weightsDigest;
    }

    /// @inheritdoc IModelRegistry
    function isTeeMeasurementAllowed(uint64 versionId, bytes32 measurement) external view returns (bool) {
        return _teeAllowed[versionId][measurement];
    }

    /// @inheritdoc IModelRegistry
    function teeMeasurementsOf(uint64 versionId) external view returns (bytes32[] memory) {
        _existingVersion(versionId);
        return _teeMeasurements[versionId];
    }

    /// @inheritdoc IModelRegistry
    function versionsOf(uint256 modelId) external view returns (uint64[] memory) {
        require(_ownerOf(modelId) != address(0), UnknownModel(modelId));
        return _modelVersions[modelId];
    }

    /// @inheritdoc IModelRegistry
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @inheritdoc IModelRegistry
    function versionCount() external view returns (uint64) {
        return _versionCount;
    }

    /// @inheritdoc IModelRegistry
    function modelOwner(uint256 modelId) external view returns (address) {
        return _ownerOf(modelId);
    }

    /// @notice The model's metadata URI.
    /// @dev Reverts with `ERC721NonexistentToken` for an unknown model.
    /// @param modelId The model (its token id).
    /// @return The metadata URI given at creation.
    function tokenURI(uint256 modelId) public view override returns (string memory) {
        _requireOwned(modelId);
        return _metadataURIs[modelId];
    }

    function _existingVersion(uint64 versionId) private view returns (Version storage v) {
        v = _versions[versionId];
        require(v.publishedAt != 0, UnknownVersion(versionId));
    }

    function _checkModelOwner(uint256 modelId) private view {
        address owner = _ownerOf(modelId);
        require(owner != address(0), UnknownModel(modelId));
        require(owner == msg.sender, NotModelOwner(modelId, msg.sender));
    }
}
