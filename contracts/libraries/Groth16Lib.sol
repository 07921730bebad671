// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Groth16Lib
/// @author Veritas contributors
/// @notice Builds the public signals of a Veritas ZK inference from its recorded output and calls a snarkjs Groth16
/// verifier of any size with them.
/// @dev Public signals, in circom's order: the output values (each int256 `v` as the field element `v` if `v >= 0`,
/// `r + v` if `v < 0`), then the weights commitment, the input commitment and the tag. The output is
/// `abi.encode(int256[] values)` in its canonical encoding only (offset 0x20, no trailing bytes), every value in
/// (-r/2, r/2). The proof is `abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c)` (256 bytes, G2 coordinates in
/// the order the verifier takes them). The verifier's function is
/// `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N])` with N = number of output values + 3.
library Groth16Lib {
    /// @dev The BN254 scalar field order r.
    uint256 internal constant SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev (r - 1) / 2: the largest magnitude an output value may have (a literal: inline assembly reads it).
    uint256 internal constant MAX_MAGNITUDE =
        10944121435919637611123202872628637544274182200208017171849102093287904247808;
    /// @dev Byte length of an encoded proof.
    uint256 internal constant PROOF_LENGTH = 256;
    /// @dev Signals appended to the outputs: weights commitment, input commitment, tag.
    uint256 internal constant APPENDED_SIGNALS = 3;
    /// @dev Output values beyond this count are refused (keeps every length computation far from overflow).
    uint256 internal constant MAX_OUTPUT_VALUES = 1024;

    /// @notice Outcome of `verify`.
    enum Status {
        Valid,
        MalformedOutput,
        InvalidProof
    }

    /// @notice The selector of `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[nPublic])`.
    /// @dev Writes the signature in scratch memory past the free memory pointer (56-byte prefix, the decimal digits
    /// of `nPublic`, "])") and hashes it.
    /// @param nPublic The number of public signals.
    /// @return selector The first four bytes of the signature's keccak256.
    function proofSelector(uint256 nPublic) internal pure returns (bytes4 selector) {
        // Formats the signature in scratch memory: no string concatenation or allocation for a 4-byte result.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            // "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[" (56 bytes)
            mstore(ptr, 0x76657269667950726f6f662875696e743235365b325d2c75696e743235365b32)
            mstore(add(ptr, 0x20), 0x5d5b325d2c75696e743235365b325d2c75696e743235365b0000000000000000)
            let digits := 1
            for {
                let v := nPublic
            } gt(v, 9) {
                v := div(v, 10)
            } {
                digits := add(digits, 1)
            }
            let end := add(add(ptr, 56), digits)
            let p := end
            for {
                let v := nPublic
            } 1 {} {
                p := sub(p, 1)
                mstore8(p, add(48, mod(v, 10)))
                v := div(v, 10)
                if iszero(v) {
                    break
                }
            }
            mstore8(end, 0x5d) // "]"
            mstore8(add(end, 1), 0x29) // ")"
            selector := and(keccak256(ptr, add(58, digits)), shl(224, 0xffffffff))
        }
    }

    /// @notice The number of values in a canonically encoded `int256[]` output, or `ok == false` if it is malformed
    /// (not canonical, empty, or longer than `MAX_OUTPUT_VALUES`). Value ranges are checked by `writeSignals`.
    /// @param output The recorded output.
    /// @return ok Whether it is a canonical encoding of 1 to `MAX_OUTPUT_VALUES` values.
    /// @return n The number of values (zero when not `ok`).
    function outputLength(bytes calldata output) internal pure returns (bool ok, uint256 n) {
        if (output.length < 64) return (false, 0);
        uint256 offset;
        // Reads the two ABI header words in place: a malformed output returns false instead of reverting in abi.decode.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            offset := calldataload(output.offset)
            n := calldataload(add(output.offset, 0x20))
        }
        ok = offset == 0x20 && n != 0 && n <= MAX_OUTPUT_VALUES && output.length == 64 + 32 * n;
    }

    /// @notice Writes the public signals to memory at `dst`: the `n` output values as field elements, then
    /// `weights`, `input` and `tag`. Returns false, leaving the rest unwritten, at the first value outside (-r/2, r/2).
    /// @dev `dst` must point to `32 * (n + 3)` bytes of memory the caller allocated; `n` must come from `outputLength`.
    /// @param dst Memory address of the first signal.
    /// @param output The recorded output (checked by `outputLength`).
    /// @param n The number of output values.
    /// @param weights The weights commitment (a field element).
    /// @param input The input commitment (a field element).
    /// @param tag The job tag (a field element).
    /// @return ok False if a value is out of range.
    function writeSignals(
        uint256 dst,
        bytes calldata output,
        uint256 n,
        uint256 weights,
        uint256 input,
        uint256 tag
    ) internal pure returns (bool ok) {
        // Range-checks and converts each value while copying it from calldata into the caller's buffer, in one pass.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ok := 1
            let src := add(output.offset, 0x40)
            let end := add(dst, shl(5, n))
            let minNeg := sub(0, MAX_MAGNITUDE)
            for {} lt(dst, end) {
                dst := add(dst, 0x20)
                src := add(src, 0x20)
            } {
                let v := calldataload(src)
                if or(sgt(v, MAX_MAGNITUDE), slt(v, minNeg)) {
                    ok := 0
                    break
                }
                // v < 0: r + v (wraps to r - |v|); v >= 0: v.
                mstore(dst, add(v, mul(slt(v, 0), SCALAR_FIELD)))
            }
            if ok {
                mstore(end, weights)
                mstore(add(end, 0x20), input)
                mstore(add(end, 0x40), tag)
            }
        }
    }

    /// @notice The public signals as an array (for views; `verify` builds them in place).
    /// @param output The recorded output.
    /// @param weights The weights commitment.
    /// @param input The input commitment.
    /// @param tag The job tag.
    /// @return ok False if the output is malformed or a value is out of range.
    /// @return signals The signals (empty or partly written when not `ok`).
    function publicSignals(
        bytes calldata output,
        uint256 weights,
        uint256 input,
        uint256 tag
    ) internal pure returns (bool ok, uint256[] memory signals) {
        uint256 n;
        (ok, n) = outputLength(output);
        if (!ok) return (false, signals);
        signals = new uint256[](n + APPENDED_SIGNALS);
        uint256 dst;
        // Takes the data pointer of the new array (Solidity has no expression for it).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            dst := add(signals, 0x20)
        }
        ok = writeSignals(dst, output, n, weights, input, tag);
    }

    /// @notice Builds `verifyProof(a, b, c, signals)` calldata once, in memory, and static-calls `verifier` with it.
    /// Valid only if the call succeeds and returns a word equal to 1 (true).
    /// @dev `weights`, `input` and `tag` must already be field elements (the verifier refuses others anyway).
    /// @param verifier The snarkjs Groth16 verifier (its codehash is checked by the caller).
    /// @param output The recorded output, canonical `abi.encode(int256[])`.
    /// @param proof `abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c)`, 256 bytes.
    /// @param weights The weights commitment.
    /// @param input The input commitment.
    /// @param tag The job tag.
    /// @return `Valid`, `MalformedOutput` or `InvalidProof` (wrong length, refused, reverted or no code).
    function verify(
        address verifier,
        bytes calldata output,
        bytes calldata proof,
        uint256 weights,
        uint256 input,
        uint256 tag
    ) internal view returns (Status) {
        (bool ok, uint256 n) = outputLength(output);
        if (!ok) return Status.MalformedOutput;
        if (proof.length != PROOF_LENGTH) return Status.InvalidProof;
        uint256 nPublic = n + APPENDED_SIGNALS;
        bytes4 selector = proofSelector(nPublic);
        uint256 size = 4 + PROOF_LENGTH + 32 * nPublic;
        uint256 ptr;
        // Allocates the call data once and copies the proof into it: no abi.encode of a dynamically sized signal array.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ptr := mload(0x40)
            mstore(0x40, add(ptr, size))
            mstore(ptr, selector)
            calldatacopy(add(ptr, 4), proof.offset, PROOF_LENGTH)
        }
        if (!writeSignals(ptr + 4 + PROOF_LENGTH, output, n, weights, input, tag)) return Status.MalformedOutput;
        bool valid;
        // A static call with a selector computed at run time that copies one return word and never bubbles a revert.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0, 0)
            let success := staticcall(gas(), verifier, ptr, size, 0, 0x20)
            valid := and(success, and(iszero(lt(returndatasize(), 0x20)), eq(mload(0), 1)))
        }
        return valid ? Status.Valid : Status.InvalidProof;
    }
}
