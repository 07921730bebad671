// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
import {Test} from "forge-std/Test.sol";
import {Tmp} from "../contracts/Tmp.sol";
contract TmpTest is Test { function testFuzz_set(uint256 v) public { Tmp t = new Tmp(); t.set(v); assertEq(t.x(), v); } }
