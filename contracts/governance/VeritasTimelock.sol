// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title VeritasTimelock
/// @author Veritas contributors
/// @notice The governance owner of every Veritas contract: proposals wait `minDelay` before anyone (or the listed
/// executors) can execute them, so users can leave before a parameter change applies.
contract VeritasTimelock is TimelockController {
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
