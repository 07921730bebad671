import { isAddress, isHexString } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { io, requireBytes32, requireOption, runTask, taskContext, UsageError, type CommonArgs } from "../lib.js";

type Args = CommonArgs & {
  key: string | undefined;
  measurement: string | undefined;
  expiresAt: bigint;
  attestation: string | undefined;
};

/** `veritas register-enclave`: registers (or re-attests) an enclave key of the signer with an attestation. */
export default async function registerEnclave(args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const key = requireOption(args.key, "--key");
    if (!isAddress(key)) throw new UsageError("--key must be the enclave key's address");
    const measurement = requireBytes32(args.measurement, "--measurement");
    if (args.expiresAt <= 0n) throw new UsageError("--expires-at (unix seconds, as attested) is required");
    const attestation = requireOption(args.attestation, "--attestation");
    if (!isHexString(attestation)) throw new UsageError("--attestation must be hex (0x…)");
    const ctx = await taskContext(args, hre);
    const { operator } = ctx.client;
    const receipt = await operator.registerEnclaveKey(key, measurement, args.expiresAt, attestation);
    const active = await operator.isActiveEnclaveKey(key);
    io.out(
      `Enclave key ${key} registered for ${ctx.address}, measurement ${measurement}, expires ${args.expiresAt}; active: ${active} (tx ${receipt.hash})`,
    );
    return { key, active };
  });
}
