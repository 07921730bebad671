// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {IInferenceEscrow} from "../../contracts/interfaces/IInferenceEscrow.sol";
import {ITeeResultVerifier} from "../../contracts/interfaces/ITeeResultVerifier.sol";
import {JobId, JobIdLib} from "../../contracts/libraries/JobId.sol";

/// @notice Job ids and enclave signatures for the Solidity tests (the suite and the invariant handlers): a result
/// signed over the digest the TEE verifier itself computes, so the tests sign exactly what it checks.
abstract contract TeeSigning is CommonBase {
    /// @dev The id the escrow derives for `job` (requester and nonce).
    function _jobId(IInferenceEscrow.Job memory job) internal pure returns (JobId) {
        return JobIdLib.from(job.requester, job.nonce);
    }

    /// @dev `pk`'s signature over one result (`job`, `output`) of `escrow_`, under `verifier`'s EIP-712 domain.
    function _signResultFor(
        ITeeResultVerifier verifier,
        address escrow_,
        uint256 pk,
        IInferenceEscrow.Job memory job,
        bytes memory output
    ) internal view returns (bytes memory) {
        bytes32 digest = verifier.resultDigest(
            escrow_,
            JobId.unwrap(_jobId(job)),
            job.versionId,
            job.inputDigest,
            keccak256(output)
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }
}
