// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAttestationVerifier} from "./IAttestationVerifier.sol";
import {INodeStaking} from "./INodeStaking.sol";

/// @title ITeeRegistry
/// @author Veritas contributors
/// @notice Governance-approved enclave measurements and the enclave keys nodes register with an attestation. Keys
/// expire; revoking a measurement disables every key that runs it, checked at use.
interface ITeeRegistry {
    /// @notice An enclave key's record.
    /// @param node The node operator that registered it.
    /// @param expiresAt When the attestation stops being valid.
    /// @param revoked Whether the node revoked it.
    /// @param measurement The enclave code measurement it runs.
    struct EnclaveKey {
        address node;
        uint40 expiresAt;
        bool revoked;
        bytes32 measurement;
    }

    /// @notice Emitted when governance approves a measurement.
    /// @param measurement The enclave code measurement (e.g. a Nitro PCR0 digest or a TDX MRTD digest).
    /// @param description Human-readable description (image name, build).
    event MeasurementApproved(bytes32 indexed measurement, string description);
    /// @notice Emitted when governance revokes a measurement: every key running it stops verifying.
    /// @param measurement The measurement.
    event MeasurementRevoked(bytes32 indexed measurement);
    /// @notice Emitted when a node registers (or re-attests) an enclave key.
    /// @param node The node.
    /// @param enclaveKey The enclave's secp256k1 signing address.
    /// @param measurement The measurement it runs.
    /// @param expiresAt When it expires.
    event EnclaveKeyRegistered(
        address indexed node,
        address indexed enclaveKey,
        bytes32 indexed measurement,
        uint40 expiresAt
    );
    /// @notice Emitted when a node revokes one of its enclave keys.
    /// @param node The node.
    /// @param enclaveKey The key.
    event EnclaveKeyRevoked(address indexed node, address indexed enclaveKey);
    /// @notice Emitted once, when the deployer binds the dispute manager (which revokes equivocating keys).
    /// @param disputeManager The dispute manager.
    event DisputeManagerBound(address disputeManager);
    /// @notice Emitted when governance replaces the attestation verifier (applies to later registrations).
    /// @param verifier The new verifier.
    event AttestationVerifierSet(address verifier);

    /// @notice A zero address or value was given.
    error ZeroAddress();
    /// @notice The measurement is zero, unknown or already in the requested state.
    error InvalidMeasurement(bytes32 measurement);
    /// @notice The measurement is not approved (never approved, or revoked).
    error MeasurementNotApproved(bytes32 measurement);
    /// @notice The node registering a key is not registered in staking.
    error NodeNotRegistered(address node);
    /// @notice The key is registered to another node.
    error EnclaveKeyTaken(address enclaveKey, address node);
    /// @notice The expiry is in the past or too far in the future.
    error InvalidKeyExpiry(uint40 expiresAt, uint40 maxExpiresAt);
    /// @notice The attestation does not verify.
    error InvalidAttestation(address node, address enclaveKey);
    /// @notice No such key.
    error UnknownEnclaveKey(address enclaveKey);
    /// @notice The key belongs to another node.
    error EnclaveKeyNotOwned(address enclaveKey, address owner, address node);
    /// @notice The key has expired.
    error EnclaveKeyExpired(address enclaveKey, uint40 expiresAt);
    /// @notice The key was revoked.
    error EnclaveKeyRevokedError(address enclaveKey);
    /// @notice Only the dispute manager may do this.
    error NotDisputeManager(address caller);
    /// @notice The dispute manager is already bound, or the caller is not the deployer.
    error BindingNotAllowed(address caller);

    /// @notice The staking contract (node registration).
    /// @return The staking contract a key's node must be registered in, set at deployment.
    function staking() external view returns (INodeStaking);
    /// @notice The attestation verifier.
    /// @return The verifier later key registrations are checked with.
    function attestationVerifier() external view returns (IAttestationVerifier);

    /// @notice Approves an enclave measurement (governance).
    /// @dev Owner only. Reverts with `InvalidMeasurement` for zero or an already approved measurement. A measurement
    /// revoked before can be approved again, which re-enables its unexpired, unrevoked keys.
    /// @param measurement The enclave code measurement (e.g. a Nitro PCR0 or a TDX MRTD digest).
    /// @param description Human-readable description, emitted only.
    function approveMeasurement(bytes32 measurement, string calldata description) external;
    /// @notice Revokes an enclave measurement (governance): keys that run it fail at use.
    /// @dev Owner only. Reverts with `InvalidMeasurement` if it is not approved.
    /// @param measurement The measurement.
    function revokeMeasurement(bytes32 measurement) external;
    /// @notice Replaces the attestation verifier (governance).
    /// @dev Owner only. Reverts with `ZeroAddress`. Keys registered earlier stay valid until they expire or are
    /// revoked.
    /// @param verifier The new verifier.
    function setAttestationVerifier(IAttestationVerifier verifier) external;
    /// @notice Registers (or re-attests) an enclave key for the caller, a registered node. A revoked key can never be
    /// registered again.
    /// @dev Reverts with `ZeroAddress`, `NodeNotRegistered`, `MeasurementNotApproved`, `InvalidKeyExpiry` (not in the
    /// future or more than `MAX_ENCLAVE_KEY_LIFETIME_SECONDS`, 90 days, ahead), `EnclaveKeyTaken`,
    /// `EnclaveKeyRevokedError` or `InvalidAttestation`.
    /// @param enclaveKey The enclave's secp256k1 signing address.
    /// @param measurement The approved measurement the enclave runs.
    /// @param expiresAt When the key stops verifying, a Unix timestamp.
    /// @param attestation The attestation the verifier checks (shipped verifier: an attestation service's EIP-712
    /// signature over registry, node, key, measurement and expiry).
    function registerEnclaveKey(
        address enclaveKey,
        bytes32 measurement,
        uint40 expiresAt,
        bytes calldata attestation
    ) external;
    /// @notice Revokes one of the caller's enclave keys, for good.
    /// @dev Reverts with `UnknownEnclaveKey`, `EnclaveKeyNotOwned` or `EnclaveKeyRevokedError`. A revoked key stays
    /// attributed to its node, so its past signatures can still be reported as equivocation.
    /// @param enclaveKey The key.
    function revokeEnclaveKey(address enclaveKey) external;

    /// @notice Revokes an equivocating key for good, whoever owns it (dispute manager only).
    /// @dev Reverts with `NotDisputeManager` or `UnknownEnclaveKey`; does nothing for a key already revoked.
    /// @param enclaveKey The key.
    function revokeForEquivocation(address enclaveKey) external;
    /// @notice Binds the dispute manager, once, by the deployer.
    /// @dev Reverts with `BindingNotAllowed` (caller not the deployer, or already bound) or `ZeroAddress`.
    /// @param disputeManager The dispute manager.
    function bindDisputeManager(address disputeManager) external;
    /// @notice The dispute manager (zero before binding).
    /// @return The only account that can revoke other nodes' keys.
    function disputeManager() external view returns (address);

    /// @notice Whether a measurement is approved and not revoked.
    /// @param measurement The measurement.
    /// @return True if it is currently approved.
    function isMeasurementApproved(bytes32 measurement) external view returns (bool);
    /// @notice A key's record.
    /// @param enclaveKey The key.
    /// @return Its node, expiry, revocation flag and measurement (all zero if never registered).
    function getEnclaveKey(address enclaveKey) external view returns (EnclaveKey memory);
    /// @notice Whether `enclaveKey` is an unexpired, unrevoked key of `node` running an approved measurement.
    /// @param enclaveKey The key.
    /// @param node The node it must belong to.
    /// @return True if all of these hold now.
    function isActiveKey(address enclaveKey, address node) external view returns (bool);
    /// @notice The measurement of an active key of `node`; reverts with the precise reason otherwise.
    /// @dev Reverts with `UnknownEnclaveKey`, `EnclaveKeyNotOwned`, `EnclaveKeyRevokedError`, `EnclaveKeyExpired` or
    /// `MeasurementNotApproved`.
    /// @param enclaveKey The key.
    /// @param node The node it must belong to.
    /// @return The key's measurement.
    function activeKeyMeasurement(address enclaveKey, address node) external view returns (bytes32);
}
