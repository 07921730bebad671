import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { Signature } from "ethers";

type PermitToken = {
  getAddress(): Promise<string>;
  nonces(owner: string): Promise<bigint>;
  eip712Domain(): Promise<{ name: string; version: string; chainId: bigint; verifyingContract: string }>;
};

export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** An EIP-2612 permit of `token` signed by `owner` (the domain is read from the token's EIP-5267 `eip712Domain`). */
export async function signPermit(
  token: PermitToken,
  owner: HardhatEthersSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<Signature> {
  const d = await token.eip712Domain();
  const domain = { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
  const nonce = await token.nonces(owner.address);
  const sig = await owner.signTypedData(domain, PERMIT_TYPES, {
    owner: owner.address,
    spender,
    value,
    nonce,
    deadline,
  });
  return Signature.from(sig);
}
