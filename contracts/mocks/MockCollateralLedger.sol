// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICollateralLedger, INodeStaking} from "../interfaces/INodeStaking.sol";

/// @notice A stand-in escrow for NodeStaking tests: its locked collateral is set by hand and it forwards slashes.
/// Tests only.
contract MockCollateralLedger is ICollateralLedger {
    mapping(address node => uint256) public lockedCollateral;

    function setLocked(address node, uint256 amount) external {
        lockedCollateral[node] = amount;
    }

    function slash(
        INodeStaking staking,
        address node,
        uint256 amount,
        address beneficiary,
        uint256 rewardBps
    ) external {
        staking.slash(node, amount, beneficiary, rewardBps);
    }
}
