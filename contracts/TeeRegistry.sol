// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {INodeStaking} from "./interfaces/INodeStaking.sol";
import {ITeeRegistry} from "./interfaces/ITeeRegistry.sol";
import {MAX_ENCLAVE_KEY_LIFETIME_SECONDS} from "./libraries/ConstantsLib.sol";

/// @title TeeRegistry
/// @author Veritas contributors
/// @notice Approved enclave measurements and attested enclave keys of nodes.
contract TeeRegistry is ITeeRegistry, Ownable2Step {
    /// @inheritdoc ITeeRegistry
    INodeStaking public immutable staking;
    /// @inheritdoc ITeeRegistry
    IAttestationVerifier public attestationVerifier;
    /// @inheritdoc ITeeRegistry
    address public disputeManager;
    address private immutable _deployer;

    mapping(bytes32 measurement => bool) private _approved;
    mapping(address enclaveKey => EnclaveKey) private _keys;

    constructor(INodeStaking staking_, IAttestationVerifier attestationVerifier_, address owner_) Ownable(owner_) {
        require(address(staking_) != address(0) && address(attestationVerifier_) != address(0), ZeroAddress());
        staking = staking_;
        attestationVerifier = attestationVerifier_;
        _deployer = msg.sender;
        emit AttestationVerifierSet(address(attestationVerifier_));
    }

    /// @inheritdoc ITeeRegistry
    function bindDisputeManager(address disputeManager_) external {
        require(msg.sender == _deployer && disputeManager == address(0), BindingNotAllowed(msg.sender));
        require(disputeManager_ != address(0), ZeroAddress());
        disputeManager = disputeManager_;
        emit DisputeManagerBound(disputeManager_);
    }

    /// @inheritdoc ITeeRegistry
    function revokeForEquivocation(address enclaveKey) external {
        require(msg.sender == disputeManager, NotDisputeManager(msg.sender));
        EnclaveKey storage k = _keys[enclaveKey];
        require(k.node != address(0), UnknownEnclaveKey(enclaveKey));
        if (k.revoked) return;
        k.revoked = true;
        emit EnclaveKeyRevoked(k.node, enclaveKey);
    }

    /// @inheritdoc ITeeRegistry
    function approveMeasurement(bytes32 measurement, string calldata description) external onlyOwner {
        require(measurement != bytes32(0) && !_approved[measurement], InvalidMeasurement(measurement));
        _approved[measurement] = true;
        emit MeasurementApproved(measurement, description);
    }

    /// @inheritdoc ITeeRegistry
    function revokeMeasurement(bytes32 measurement) external onlyOwner {
        require(_approved[measurement], InvalidMeasurement(measurement));
        _approved[measurement] = false;
        emit MeasurementRevoked(measurement);
    }

    /// @inheritdoc ITeeRegistry
    function setAttestationVerifier(IAttestationVerifier verifier) external onlyOwner {
        require(address(verifier) != address(0), ZeroAddress());
        attestationVerifier = verifier;
        emit AttestationVerifierSet(address(verifier));
    }

    /// @inheritdoc ITeeRegistry
    function registerEnclaveKey(
        address enclaveKey,
        bytes32 measurement,
        uint40 expiresAt,
        bytes calldata attestation
    ) external {
        require(enclaveKey != address(0), ZeroAddress());
        require(staking.getNode(msg.sender).registered, NodeNotRegistered(msg.sender));
        require(_approved[measurement], MeasurementNotApproved(measurement));
        uint40 maxExpiresAt = uint40(block.timestamp) + MAX_ENCLAVE_KEY_LIFETIME_SECONDS;
        require(expiresAt > block.timestamp && expiresAt <= maxExpiresAt, InvalidKeyExpiry(expiresAt, maxExpiresAt));
        EnclaveKey storage k = _keys[enclaveKey];
        require(k.node == address(0) || k.node == msg.sender, EnclaveKeyTaken(enclaveKey, k.node));
        // Revocation is final: replaying the key's old attestation must not bring it back.
        require(!k.revoked, EnclaveKeyRevokedError(enclaveKey));
        require(
            attestationVerifier.verifyAttestation(msg.sender, enclaveKey, measurement, expiresAt, attestation),
            InvalidAttestation(msg.sender, enclaveKey)
        );
        k.node = msg.sender;
        k.expiresAt = expiresAt;
        k.measurement = measurement;
        emit EnclaveKeyRegistered(msg.sender, enclaveKey, measurement, expiresAt);
    }

    /// @inheritdoc ITeeRegistry
    function revokeEnclaveKey(address enclaveKey) external {
        EnclaveKey storage k = _keys[enclaveKey];
        require(k.node != address(0), UnknownEnclaveKey(enclaveKey));
        require(k.node == msg.sender, EnclaveKeyNotOwned(enclaveKey, k.node, msg.sender));
        require(!k.revoked, EnclaveKeyRevokedError(enclaveKey));
        k.revoked = true;
        emit EnclaveKeyRevoked(msg.sender, enclaveKey);
    }

    /// @inheritdoc ITeeRegistry
    function isMeasurementApproved(bytes32 measurement) external view returns (bool) {
        return _approved[measurement];
    }

    /// @inheritdoc ITeeRegistry
    function getEnclaveKey(address enclaveKey) external view returns (EnclaveKey memory) {
        return _keys[enclaveKey];
    }

    /// @inheritdoc ITeeRegistry
    function isActiveKey(address enclaveKey, address node) external view returns (bool) {
        EnclaveKey storage k = _keys[enclaveKey];
        return
            k.node == node &&
            node != address(0) &&
            !k.revoked &&
            block.timestamp < k.expiresAt &&
            _approved[k.measurement];
    }

    /// @inheritdoc ITeeRegistry
    function activeKeyMeasurement(address enclaveKey, address node) external view returns (bytes32 measurement) {
        EnclaveKey storage k = _keys[enclaveKey];
        address owner = k.node;
        require(owner != address(0), UnknownEnclaveKey(enclaveKey));
        require(owner == node, EnclaveKeyNotOwned(enclaveKey, owner, node));
        require(!k.revoked, EnclaveKeyRevokedError(enclaveKey));
        require(block.timestamp < k.expiresAt, EnclaveKeyExpired(enclaveKey, k.expiresAt));
        measurement = k.measurement;
        require(_approved[measurement], MeasurementNotApproved(measurement));
    }
}
