// Minimal typings for the parts of snarkjs 0.7.6 used here (the package ships none).
declare module "snarkjs" {
  export type NumLike = string | bigint | number;
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export interface Logger {
    debug(...a: unknown[]): void;
    info(...a: unknown[]): void;
    warn(...a: unknown[]): void;
    error(...a: unknown[]): void;
  }
  export type FileOrMem = string | { type: "mem"; data?: Uint8Array };
  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasm: FileOrMem | Uint8Array,
      zkey: FileOrMem,
      logger?: Logger,
      wtnsCalcOptions?: Record<string, unknown>,
      proverOptions?: { singleThread?: boolean },
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    prove(
      zkey: FileOrMem,
      wtns: FileOrMem,
      logger?: Logger,
      options?: { singleThread?: boolean },
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vk: unknown, publicSignals: NumLike[], proof: Groth16Proof, logger?: Logger): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: NumLike[]): Promise<string>;
  };
  export const wtns: {
    calculate(
      input: Record<string, unknown>,
      wasm: FileOrMem | Uint8Array,
      wtns: FileOrMem,
      options?: Record<string, unknown>,
    ): Promise<void>;
    exportJson(wtns: FileOrMem): Promise<bigint[]>;
    check(r1cs: FileOrMem, wtns: FileOrMem, logger?: Logger): Promise<boolean>;
  };
  export const zKey: {
    newZKey(r1cs: FileOrMem, ptau: FileOrMem, zkey: FileOrMem, logger?: Logger): Promise<unknown>;
    beacon(
      oldZkey: FileOrMem,
      newZkey: FileOrMem,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    verifyFromR1cs(r1cs: FileOrMem, ptau: FileOrMem, zkey: FileOrMem, logger?: Logger): Promise<boolean>;
    exportVerificationKey(zkey: FileOrMem, logger?: Logger): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: FileOrMem, templates: Record<string, string>, logger?: Logger): Promise<string>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, ptau: FileOrMem, logger?: Logger): Promise<unknown>;
    beacon(
      oldPtau: FileOrMem,
      newPtau: FileOrMem,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    preparePhase2(oldPtau: FileOrMem, newPtau: FileOrMem, logger?: Logger): Promise<unknown>;
    verify(ptau: FileOrMem, logger?: Logger): Promise<boolean>;
  };
  export const r1cs: {
    info(
      r1cs: FileOrMem,
      logger?: Logger,
    ): Promise<{ nConstraints: number; nVars: number; nOutputs: number; nPubInputs: number; nPrvInputs: number }>;
  };
  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<{ terminate(): Promise<void> }>;
  };
}
