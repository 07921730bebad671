/**
 * A small IPFS HTTP gateway for local networks, tests and the demo: it holds UnixFS DAGs in memory and serves them
 * the way public trustless gateways do (`GET /ipfs/<cid>?format=car` or `Accept: application/vnd.ipld.car`: the
 * CAR of the whole DAG; `?format=raw`: one block; otherwise the file's bytes at `/ipfs/<cid>[/path]`). It binds to
 * 127.0.0.1 by default. `tamper` makes it serve altered bytes (to test that nodes refuse them).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CID } from "multiformats/cid";
import { addBytes, addDirectory, carOf, getBlock, newBlockstore, readFileFromBlocks, type Blocks } from "./index.js";

export type GatewayOptions = { host?: string; port?: number };

export class IpfsGateway {
  readonly blocks: Blocks = newBlockstore();
  /** Test hook: flip one byte in every CAR, block and file served. */
  tamper = false;
  /** Requests served (for tests and logs). */
  requests = 0;
  private server?: Server;
  private base?: string;

  /** Adds `bytes` as a file; returns its CID. */
  async addFile(bytes: Uint8Array): Promise<string> {
    return (await addBytes(bytes, this.blocks)).toString();
  }

  /** Adds files (relative path → bytes) as one directory; returns its CID. */
  async addDirectory(files: Record<string, Uint8Array>): Promise<string> {
    return (await addDirectory(files, this.blocks)).toString();
  }

  /** The gateway's base URL, e.g. http://127.0.0.1:41234 (after `start`). */
  get url(): string {
    if (!this.base) throw new Error("gateway not started");
    return this.base;
  }

  async start(o: GatewayOptions = {}): Promise<string> {
    const host = o.host ?? "127.0.0.1";
    this.server = createServer((req, res) => {
      this.requests++;
      void this.handle(req.url ?? "/", req.headers.accept ?? "").then(
        ({ status, type, body }) => {
          res.writeHead(status, { "content-type": type, "content-length": body.length });
          res.end(body);
        },
        (e: unknown) => {
          const body = Buffer.from(`error: ${(e as Error).message}\n`);
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(body);
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(o.port ?? 0, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    this.base = `http://${host}:${a.port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(url: string, accept: string): Promise<{ status: number; type: string; body: Uint8Array }> {
    const u = new URL(url, "http://gateway");
    const m = /^\/ipfs\/([^/]+)(\/.*)?$/.exec(u.pathname);
    if (!m) return text(404, "not found");
    let cid: CID;
    try {
      cid = CID.parse(m[1]);
    } catch {
      return text(400, "bad CID");
    }
    const path = decodeURIComponent((m[2] ?? "").replace(/^\/+|\/+$/g, ""));
    if (!(await this.blocks.has(cid))) return text(404, `${cid} not here`);
    const format = u.searchParams.get("format") ?? (accept.includes("application/vnd.ipld.car") ? "car" : "");
    let body: Uint8Array;
    let type = "application/octet-stream";
    if (format === "car") {
      body = await carOf(cid, this.blocks);
      type = "application/vnd.ipld.car";
    } else if (format === "raw") {
      body = await getBlock(this.blocks, cid);
      type = "application/vnd.ipld.raw";
    } else {
      body = await readFileFromBlocks(cid, path, this.blocks);
    }
    if (this.tamper && body.length > 0) {
      body = Uint8Array.from(body);
      body[body.length - 1] ^= 0xff;
    }
    return { status: 200, type, body };
  }
}

function text(status: number, msg: string) {
  return { status, type: "text/plain", body: new TextEncoder().encode(msg + "\n") };
}
