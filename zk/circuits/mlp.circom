pragma circom 2.1.6;

// Veritas reference model "veritas-mlp-8x8x3": a quantized 2-layer MLP, proven with Groth16.
//
//   z[j]      = b1[j] + sum_i W1[j][i] * x[i]          x, W1 int8; b1 int16
//   h[j]      = floor(max(z[j], 0) / 2^SHIFT)          (== max(z[j] >> SHIFT, 0), arithmetic shift)
//   logits[k] = b2[k] + sum_j W2[k][j] * h[j]           W2 int8; b2 int16; may be negative
//   label     = argmax_k logits[k], ties -> lowest index
//
// Public signals (circom order: outputs, then public inputs in declaration order):
//   [logits[0], logits[1], logits[2], label, weightsCommitment, inputCommitment, jobTag]
// Negative values are field elements r - |v| (r = BN254 scalar field order).
//
// weightsCommitment: parameters v[0..98] = W1 (row-major, [hidden][in]), b1, W2 (row-major,
// [out][hidden]), b2, each as a field element; zero-padded to 105 = 7 * 15;
//   c_0 = 99 (the number of parameters); c_k = Poseidon16(c_{k-1}, v[15(k-1)], ..., v[15(k-1)+14]);
//   weightsCommitment = c_7.
// inputCommitment = Poseidon8(x[0..7]).
//
// Bounds (all enforced here, so the comparisons below are sound for any witness):
//   |W1[j][i] * x[i]| <= 2^14, so |z| <= 8 * 2^14 + 2^15 < 2^18 = 2^ZB
//   0 <= h < 2^(ZB - SHIFT) = 2^10
//   |logit| <= 8 * 2^7 * (2^10 - 1) + 2^15 < 2^21 = 2^LB

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// in is an integer in [-2^(n-1), 2^(n-1)).
template SignedRange(n) {
    signal input in;
    component bits = Num2Bits(n);
    bits.in <== in + (1 << (n - 1));
}

// out = floor(max(in, 0) / 2^shift) for in in (-2^zb, 2^zb).
template ReluShift(zb, shift) {
    signal input in;
    signal output out;
    component bits = Num2Bits(zb + 1);
    bits.in <== in + (1 << zb);            // in [0, 2^(zb+1)); bit zb is 1 iff in >= 0
    var q = 0;
    for (var i = shift; i < zb; i++) {
        q += bits.out[i] * (1 << (i - shift));
    }
    out <== bits.out[zb] * q;
}

template Mlp(NIN, NHID, NOUT, SHIFT) {
    var ZB = 18;   // |z| < 2^ZB
    var LB = 21;   // |logit| < 2^LB
    var NPARAM = NHID * NIN + NHID + NOUT * NHID + NOUT;
    var RATE = 15;
    var NCHUNK = (NPARAM + RATE - 1) \ RATE;

    // Public inputs, in this order.
    signal input weightsCommitment;
    signal input inputCommitment;
    signal input jobTag;

    // Private inputs.
    signal input x[NIN];
    signal input W1[NHID][NIN];
    signal input b1[NHID];
    signal input W2[NOUT][NHID];
    signal input b2[NOUT];

    // Public outputs.
    signal output logits[NOUT];
    signal output label;

    // ---- range checks -------------------------------------------------------------------------
    component xr[NIN];
    for (var i = 0; i < NIN; i++) {
        xr[i] = SignedRange(8);
        xr[i].in <== x[i];
    }
    component w1r[NHID][NIN];
    component b1r[NHID];
    for (var j = 0; j < NHID; j++) {
        for (var i = 0; i < NIN; i++) {
            w1r[j][i] = SignedRange(8);
            w1r[j][i].in <== W1[j][i];
        }
        b1r[j] = SignedRange(16);
        b1r[j].in <== b1[j];
    }
    component w2r[NOUT][NHID];
    component b2r[NOUT];
    for (var k = 0; k < NOUT; k++) {
        for (var j = 0; j < NHID; j++) {
            w2r[k][j] = SignedRange(8);
            w2r[k][j].in <== W2[k][j];
        }
        b2r[k] = SignedRange(16);
        b2r[k].in <== b2[k];
    }

    // ---- commitments --------------------------------------------------------------------------
    component inHash = Poseidon(NIN);
    for (var i = 0; i < NIN; i++) {
        inHash.inputs[i] <== x[i];
    }
    inputCommitment === inHash.out;

    signal p[NCHUNK * RATE];
    var n = 0;
    for (var j = 0; j < NHID; j++) {
        for (var i = 0; i < NIN; i++) {
            p[n] <== W1[j][i];
            n++;
        }
    }
    for (var j = 0; j < NHID; j++) {
        p[n] <== b1[j];
        n++;
    }
    for (var k = 0; k < NOUT; k++) {
        for (var j = 0; j < NHID; j++) {
            p[n] <== W2[k][j];
            n++;
        }
    }
    for (var k = 0; k < NOUT; k++) {
        p[n] <== b2[k];
        n++;
    }
    for (var m = NPARAM; m < NCHUNK * RATE; m++) {
        p[m] <== 0;
    }
    component wHash[NCHUNK];
    for (var c = 0; c < NCHUNK; c++) {
        wHash[c] = Poseidon(RATE + 1);
        if (c == 0) {
            wHash[c].inputs[0] <== NPARAM;
        } else {
            wHash[c].inputs[0] <== wHash[c - 1].out;
        }
        for (var t = 0; t < RATE; t++) {
            wHash[c].inputs[t + 1] <== p[c * RATE + t];
        }
    }
    weightsCommitment === wHash[NCHUNK - 1].out;

    // ---- layer 1: z = W1 x + b1; h = floor(relu(z) / 2^SHIFT) ----------------------------------
    signal prod1[NHID][NIN];
    signal h[NHID];
    component act[NHID];
    for (var j = 0; j < NHID; j++) {
        var acc = b1[j];
        for (var i = 0; i < NIN; i++) {
            prod1[j][i] <== W1[j][i] * x[i];
            acc += prod1[j][i];
        }
        act[j] = ReluShift(ZB, SHIFT);
        act[j].in <== acc;
        h[j] <== act[j].out;
    }

    // ---- layer 2: logits = W2 h + b2 -----------------------------------------------------------
    signal prod2[NOUT][NHID];
    for (var k = 0; k < NOUT; k++) {
        var acc = b2[k];
        for (var j = 0; j < NHID; j++) {
            prod2[k][j] <== W2[k][j] * h[j];
            acc += prod2[k][j];
        }
        logits[k] <== acc;
    }

    // ---- argmax, ties -> lowest index: replace the running best only on a strict improvement ---
    signal best[NOUT];
    signal idx[NOUT];
    component gt[NOUT];
    best[0] <== logits[0];
    idx[0] <== 0;
    for (var k = 1; k < NOUT; k++) {
        gt[k] = LessThan(LB + 1);                 // both operands shifted into [0, 2^(LB+1))
        gt[k].in[0] <== best[k - 1] + (1 << LB);
        gt[k].in[1] <== logits[k] + (1 << LB);    // out = 1 iff logits[k] > best[k-1]
        best[k] <== best[k - 1] + gt[k].out * (logits[k] - best[k - 1]);
        idx[k] <== idx[k - 1] + gt[k].out * (k - idx[k - 1]);
    }
    label <== idx[NOUT - 1];

    // ---- bind the job tag (never optimised away) -----------------------------------------------
    signal jobTagSquare;
    jobTagSquare <== jobTag * jobTag;
}

component main {public [weightsCommitment, inputCommitment, jobTag]} = Mlp(8, 8, 3, 8);
