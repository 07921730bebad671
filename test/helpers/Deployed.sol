// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";

/// @notice The staking token as the tests use it (VeritasToken: an ERC-20 with EIP-2612 permits).
interface IVeritasToken is IERC20, IERC20Permit {}

/// @notice The test stablecoin (contracts/mocks/MockUSD.sol).
interface IMockUSD is IERC20, IERC20Permit {
    function mint(address to, uint256 amount) external;
}

/// @notice The model registry with its ERC-721 model ownership.
interface IModelRegistryNft is IModelRegistry, IERC721 {}

/// @notice Deploys a contract from the contracts' build (`hardhat build`'s artifacts, read with `vm.getCode`), so a
/// Solidity test imports interfaces only: the contracts are compiled once, with the production settings, and the
/// tests exercise exactly that bytecode.
abstract contract Deployed is CommonBase {
    error DeploymentFailed(string name);

    function _deploy(string memory name, bytes memory args) internal returns (address deployed) {
        bytes memory code = abi.encodePacked(vm.getCode(string.concat(name, ".sol:", name)), args);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(deployed != address(0), DeploymentFailed(name));
    }
}
