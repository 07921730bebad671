// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {JobId, JobIdLib} from "../../contracts/libraries/JobId.sol";

/// @notice JobIdLib: an id encodes its requester and nonce, and decodes back to both.
contract JobIdTest is Test {
    function testFuzz_FromDecodesToItsRequesterAndNonce(address requester, uint32 nonce) public pure {
        JobId id = JobIdLib.from(requester, nonce);
        assertEq(id.requester(), requester, "requester");
        assertEq(id.nonce(), nonce, "nonce");
        assertEq(JobId.unwrap(id), (uint256(uint160(requester)) << 32) | nonce, "layout");
    }

    function test_IdsOfDifferentRequestsDiffer() public pure {
        address a = address(0xA11CE);
        assertTrue(JobId.unwrap(JobIdLib.from(a, 1)) != JobId.unwrap(JobIdLib.from(a, 2)), "nonce");
        assertTrue(JobId.unwrap(JobIdLib.from(a, 1)) != JobId.unwrap(JobIdLib.from(address(0xB0B), 1)), "requester");
        assertEq(JobIdLib.from(a, type(uint32).max).nonce(), type(uint32).max, "max nonce");
        assertEq(JobIdLib.from(address(type(uint160).max), 0).requester(), address(type(uint160).max), "max address");
    }
}
