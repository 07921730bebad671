// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A job id: the requester's address in the high bits and its per-requester request nonce in the low 32 bits.
/// @dev Derived, never counted globally: no shared counter slot is written per request, and the id tells who paid.
type JobId is uint256;

using JobIdLib for JobId global;

/// @title JobIdLib
/// @author Veritas contributors
/// @notice Builds and decodes job ids.
library JobIdLib {
    /// @notice The id of the `nonce`-th request of `requester`.
    /// @param requester_ The requester.
    /// @param nonce_ Its request nonce (0 for its first request).
    /// @return `requester << 32 | nonce`.
    function from(address requester_, uint32 nonce_) internal pure returns (JobId) {
        return JobId.wrap((uint256(uint160(requester_)) << 32) | nonce_);
    }

    /// @notice The requester encoded in the id.
    /// @param id The job id.
    /// @return The requester's address (the id's bits above the low 32).
    function requester(JobId id) internal pure returns (address) {
        return address(uint160(JobId.unwrap(id) >> 32));
    }

    /// @notice The per-requester nonce encoded in the id.
    /// @param id The job id.
    /// @return The nonce (the id's low 32 bits).
    function nonce(JobId id) internal pure returns (uint32) {
        return uint32(JobId.unwrap(id));
    }
}
