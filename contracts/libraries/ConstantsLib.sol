// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev Hard limits that governance can never cross. Units are in the names.

/// @dev Basis points in one whole (100 %).
uint256 constant BPS = 10_000;

/// @dev The protocol fee can never exceed 10 % of a job's payment.
uint16 constant MAX_PROTOCOL_FEE_BPS = 1_000;

/// @dev Bounds of `collateralPerPaymentBps`: a claim locks between 0x and 10x the job's payment as collateral (in
/// staking-token units), and at least the version's own minimum collateral.
uint32 constant MIN_COLLATERAL_BPS = 0;
uint32 constant MAX_COLLATERAL_BPS = 100_000;

/// @dev Share of a slashed missed-deadline collateral that compensates the requester; the rest goes to the treasury.
uint16 constant MISSED_DEADLINE_REQUESTER_SHARE_BPS = 5_000;

/// @dev Bounds on a request's delivery window (how long a claimer has to deliver).
uint40 constant MIN_DELIVERY_WINDOW_SECONDS = 30;
uint40 constant MAX_DELIVERY_WINDOW_SECONDS = 7 days;

/// @dev After `requestCancel`, an open job can still be claimed or fulfilled for this long before `cancel` refunds it:
/// a node's result already in the mempool when the requester asks to cancel is mined and paid, not front-run by the
/// refund. Longer than a congested inclusion delay; short against `MAX_REQUEST_LIFETIME_SECONDS`.
uint40 constant CANCEL_GRACE_PERIOD_SECONDS = 10 minutes;

/// @dev A request can stay open at most this long.
uint40 constant MAX_REQUEST_LIFETIME_SECONDS = 30 days;

/// @dev A contract requester's callback can be given at most this much gas.
uint32 constant MAX_CALLBACK_GAS = 2_500_000;

/// @dev Gas kept back after a callback so settlement always completes (EIP-150 leaves 1/64 anyway).
uint256 constant CALLBACK_GAS_RESERVE = 10_000;

/// @dev Bounds of the optimistic challenge window (snapshotted into each job at request).
uint40 constant MIN_CHALLENGE_WINDOW_SECONDS = 1 minutes;
uint40 constant MAX_CHALLENGE_WINDOW_SECONDS = 3 days;

/// @dev Bounds of the time the appointed arbitrator has to rule on a dispute (snapshotted into each dispute).
uint40 constant MIN_ARBITRATION_PERIOD_SECONDS = 1 hours;
uint40 constant MAX_ARBITRATION_PERIOD_SECONDS = 7 days;

/// @dev Margin between the longest possible challenge-plus-arbitration and the shortest unbonding period.
uint40 constant EXIT_BUFFER_SECONDS = 1 days;

/// @dev A challenger earns at most this share of a wrong node's slashed collateral; the rest goes to the treasury, so a
/// node cannot exit through a colluding challenger without losing at least half of what it exits with.
uint16 constant MAX_CHALLENGER_REWARD_BPS = 5_000;

/// @dev Unbonding period bounds: thawing stake stays slashable for at least this long, which is always longer than any
/// challenge window plus arbitration period plus a buffer (checked at compile time by the constants themselves).
uint40 constant MIN_UNBONDING_PERIOD_SECONDS =
    MAX_CHALLENGE_WINDOW_SECONDS + MAX_ARBITRATION_PERIOD_SECONDS + EXIT_BUFFER_SECONDS;
uint40 constant MAX_UNBONDING_PERIOD_SECONDS = 90 days;

/// @dev Enclave keys are registered for at most this long before they must be re-attested.
uint40 constant MAX_ENCLAVE_KEY_LIFETIME_SECONDS = 90 days;

/// @dev Verification modes (bit positions in a version's `modes` mask and a node's `capabilities`).
uint8 constant MODE_TEE = 1;
uint8 constant MODE_ZK = 2;
uint8 constant MODE_OPTIMISTIC = 3;
uint8 constant MAX_MODE = 3;
