// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ReentrancyGuard
/// @author Veritas contributors
/// @notice A reentrancy lock in transient storage (EIP-1153): about 200 gas a call instead of two cold storage writes.
/// @dev Uses Solidity's `transient` state variables rather than inline `tstore` assembly.
abstract contract ReentrancyGuard {
    bool private transient _entered;

    /// @notice A function of this contract was re-entered.
    error ReentrantCall();

    modifier nonReentrant() {
        require(!_entered, ReentrantCall());
        _entered = true;
        _;
        _entered = false;
    }
}
