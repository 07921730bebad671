// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract Tmp { uint256 public x; function set(uint256 v) external { x = v; } }
