// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title VeritasToken
/// @author Veritas contributors
/// @notice The staking token: a fixed supply minted once to `holder`, with EIP-2612 permits. No owner, no minting after
/// deployment.
contract VeritasToken is ERC20, ERC20Permit {
    constructor(address holder, uint256 supply) ERC20("Veritas", "VRT") ERC20Permit("Veritas") {
        _mint(holder, supply);
    }
}
