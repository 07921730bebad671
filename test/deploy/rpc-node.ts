import { expect } from "chai";
import { startNode, type RpcNode } from "../helpers/rpc-node.js";
import { describeOffChain } from "../helpers/offchain.js";

describeOffChain("test/helpers/rpc-node.ts startNode (JSON-RPC nodes for tests running in parallel)", function () {
  for (const client of ["hardhat", "anvil"] as const) {
    it(`${client}: a port another node holds is not shared; the new node listens on a port of its own`, async function () {
      const nodes: RpcNode[] = [];
      try {
        nodes.push(await startNode("anvil"));
        const taken = Number(new URL(nodes[0].url).port);
        nodes.push(await startNode(client, { port: taken }));
        expect(nodes[1].url).to.not.equal(nodes[0].url);
        // Two chains: a block mined on one does not appear on the other.
        await nodes[0].provider.send("evm_mine", []);
        expect(await nodes[0].provider.getBlockNumber()).to.equal(1);
        expect(await nodes[1].provider.getBlockNumber()).to.equal(0);
      } finally {
        for (const n of nodes) await n.stop();
      }
    });
  }
});
