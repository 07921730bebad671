// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IModelRegistry
/// @author Veritas contributors
/// @notice Models are ERC-721 tokens (transferable ownership, royalties follow the token); each model has immutable
/// versions. A version's terms are packed in one storage slot so the escrow reads them with a single SLOAD.
interface IModelRegistry {
    /// @notice What a model owner publishes as a new version. Never changes once published.
    /// @param weightsDigest Digest of the weights (for ZK models: the circuit's weights commitment).
    /// @param ioSchemaDigest Digest of the input/output schema the version reads and writes.
    /// @param artifactURI Where the model artefact lives (ipfs://, ar://, a blob id).
    /// @param royalty Royalty per inference, in payment-token units.
    /// @param minCollateral Minimum collateral a node locks to claim a job of this version, in staking-token units.
    /// @param modes Bit mask of supported verification modes (`1 << MODE_TEE`, `1 << MODE_ZK`, `1 << MODE_OPTIMISTIC`).
    /// @param zkVerifier The proof verifier contract for ZK mode (zero when ZK is not supported).
    /// @param teeMeasurements Enclave code measurements allowed to serve this version (TEE mode).
    struct VersionParams {
        bytes32 weightsDigest;
        bytes32 ioSchemaDigest;
        string artifactURI;
        uint96 royalty;
        uint96 minCollateral;
        uint8 modes;
        address zkVerifier;
        bytes32[] teeMeasurements;
    }

    /// @notice The part of a version the escrow needs at request time, in one slot.
    /// @param modelId The model the version belongs to.
    /// @param royalty Royalty per inference, in payment-token units.
    /// @param minCollateral Minimum claim collateral, in staking-token units.
    /// @param modes Bit mask of supported verification modes.
    /// @param deprecated True once the owner deprecated the version: no new jobs.
    struct VersionTerms {
        uint48 modelId;
        uint96 royalty;
        uint96 minCollateral;
        uint8 modes;
        bool deprecated;
    }

    /// @notice A version as stored (the terms, then the rest).
    /// @param terms The packed terms.
    /// @param weightsDigest Digest of the weights.
    /// @param ioSchemaDigest Digest of the I/O schema.
    /// @param zkVerifier The ZK verifier (zero if none).
    /// @param zkVerifierCodehash The verifier's codehash at publication: a verifier whose code changed must not verify.
    /// @param publishedAt Block timestamp of publication.
    /// @param artifactURI Where the artefact lives.
    struct Version {
        VersionTerms terms;
        bytes32 weightsDigest;
        bytes32 ioSchemaDigest;
        address zkVerifier;
        uint40 publishedAt;
        bytes32 zkVerifierCodehash;
        string artifactURI;
    }

    /// @notice Emitted when a model is created (its token minted to `owner`).
    /// @param modelId The new model's id (also its token id).
    /// @param owner The first owner.
    /// @param metadataURI Off-chain description of the model.
    event ModelCreated(uint256 indexed modelId, address indexed owner, string metadataURI);

    /// @notice Emitted when a version is published.
    /// @param versionId The new version's global id.
    /// @param modelId The model it belongs to.
    /// @param weightsDigest Digest of the weights.
    /// @param ioSchemaDigest Digest of the I/O schema.
    /// @param artifactURI Where the artefact lives.
    /// @param royalty Royalty per inference (payment token).
    /// @param minCollateral Minimum claim collateral (staking token).
    /// @param modes Supported verification modes mask.
    /// @param zkVerifier The ZK verifier (zero if none).
    /// @param zkVerifierCodehash Its codehash at publication.
    /// @param teeMeasurements Allowed enclave measurements.
    event VersionPublished(
        uint64 indexed versionId,
        uint256 indexed modelId,
        bytes32 weightsDigest,
        bytes32 ioSchemaDigest,
        string artifactURI,
        uint96 royalty,
        uint96 minCollateral,
        uint8 modes,
        address zkVerifier,
        bytes32 zkVerifierCodehash,
        bytes32[] teeMeasurements
    );

    /// @notice Emitted when a version is deprecated (no new jobs; running jobs finish).
    /// @param versionId The version.
    /// @param modelId Its model.
    event VersionDeprecated(uint64 indexed versionId, uint256 indexed modelId);

    /// @notice The caller is not the owner of the model.
    /// @param modelId The model.
    /// @param caller The caller.
    error NotModelOwner(uint256 modelId, address caller);
    /// @notice No such model.
    /// @param modelId The id asked for.
    error UnknownModel(uint256 modelId);
    /// @notice No such version.
    /// @param versionId The id asked for.
    error UnknownVersion(uint64 versionId);
    /// @notice The version is already deprecated.
    /// @param versionId The version.
    error VersionAlreadyDeprecated(uint64 versionId);
    /// @notice The modes mask is empty or names an unknown mode.
    /// @param modes The mask given.
    error InvalidModes(uint8 modes);
    /// @notice ZK mode was requested without a verifier contract, or a verifier was given without ZK mode.
    /// @param zkVerifier The verifier given.
    error InvalidZkVerifier(address zkVerifier);
    /// @notice TEE mode was requested without any allowed measurement, or a measurement is zero or listed twice.
    error InvalidTeeMeasurements();
    /// @notice The weights digest is zero.
    error ZeroWeightsDigest();

    /// @notice Creates a model, minting its ownership token to the caller.
    /// @param metadataURI Off-chain description.
    /// @return modelId The new model id (starts at 1).
    function createModel(string calldata metadataURI) external returns (uint256 modelId);

    /// @notice Publishes an immutable version of a model the caller owns.
    /// @param modelId The model.
    /// @param params The version record.
    /// @return versionId The new global version id (starts at 1).
    function publishVersion(uint256 modelId, VersionParams calldata params) external returns (uint64 versionId);

    /// @notice Deprecates a version: no new jobs can be requested for it. Irreversible.
    /// @param versionId The version.
    function deprecateVersion(uint64 versionId) external;

    /// @notice The terms the escrow checks at request. Reverts with `UnknownVersion` if there is no such version.
    /// @param versionId The version.
    /// @return Its model id, royalty, minimum collateral, modes and deprecation flag.
    function versionTerms(uint64 versionId) external view returns (VersionTerms memory);

    /// @notice The whole version record. Reverts with `UnknownVersion` if there is no such version.
    /// @param versionId The version.
    /// @return The version as stored.
    function getVersion(uint64 versionId) external view returns (Version memory);

    /// @notice The ZK verifier of a version and its codehash at publication.
    /// @dev Reverts with `UnknownVersion`.
    /// @param versionId The version.
    /// @return verifier The verifier (zero if the version does not support ZK mode).
    /// @return codehash Its codehash at publication (zero without a verifier).
    function zkVerifierOf(uint64 versionId) external view returns (address verifier, bytes32 codehash);

    /// @notice The weights digest of a version.
    /// @dev Reverts with `UnknownVersion`.
    /// @param versionId The version.
    /// @return The weights digest (for ZK: the circuit's weights commitment).
    function weightsDigestOf(uint64 versionId) external view returns (bytes32);

    /// @notice Whether `measurement` may serve `versionId` in TEE mode.
    /// @param versionId The version.
    /// @param measurement The enclave measurement.
    /// @return True if the version lists it (false for an unknown version).
    function isTeeMeasurementAllowed(uint64 versionId, bytes32 measurement) external view returns (bool);

    /// @notice The allowed TEE measurements of a version.
    /// @dev Reverts with `UnknownVersion`.
    /// @param versionId The version.
    /// @return The measurements, as published (empty without TEE mode).
    function teeMeasurementsOf(uint64 versionId) external view returns (bytes32[] memory);

    /// @notice The version ids of a model, in publication order.
    /// @dev Reverts with `UnknownModel`.
    /// @param modelId The model.
    /// @return Its version ids.
    function versionsOf(uint256 modelId) external view returns (uint64[] memory);

    /// @notice The number of models created.
    /// @return The count (also the last model id).
    function modelCount() external view returns (uint256);

    /// @notice The number of versions published (the last version id).
    /// @return The count.
    function versionCount() external view returns (uint64);

    /// @notice The owner of a model (the holder of its token), zero if none.
    /// @param modelId The model.
    /// @return The holder of its ERC-721 token, or zero.
    function modelOwner(uint256 modelId) external view returns (address);
}
