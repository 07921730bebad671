/**
 * A local npm registry on 127.0.0.1 for the package tests: it serves every package installed in this repository's
 * node_modules (all versions found, nested ones too) and the tarballs given (the packed Veritas packages), so a
 * scratch project runs a real `npm install @veritas-protocol/node …` as an integrator would, with no network and
 * whatever the npm cache holds. Package documents are built from the installed package.json files; tarballs are
 * made on first request (the package's directory without its nested node_modules) and kept until `stop()`.
 */
import { execFile } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

type PackageJson = { name?: string; version?: string; [k: string]: unknown };
/** Where one version's bytes come from: an installed directory, or a tarball. */
type Source = { dir: string } | { tarball: string };

export type LocalRegistry = {
  /** http://127.0.0.1:<port>/ */
  url: string;
  /** Package name → versions served. */
  packages: Map<string, Map<string, Source & { manifest: PackageJson }>>;
  /** Tarball requests served, by `name@version`. */
  served: string[];
  stop(): Promise<void>;
};

/** Every package directory under a node_modules folder, nested ones included. */
function installedPackages(nodeModules: string, out: string[] = []): string[] {
  if (!existsSync(nodeModules)) return out;
  for (const name of readdirSync(nodeModules)) {
    if (name.startsWith(".")) continue;
    const dir = path.join(nodeModules, name);
    if (name.startsWith("@")) {
      for (const sub of readdirSync(dir)) visit(path.join(dir, sub));
    } else visit(dir);
  }
  return out;

  function visit(dir: string) {
    if (!statSync(dir).isDirectory() || !existsSync(path.join(dir, "package.json"))) return;
    out.push(dir);
    installedPackages(path.join(dir, "node_modules"), out);
  }
}

/** Numeric comparison of x.y.z versions (prereleases after their release: good enough for a `latest` tag). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const pb = b.split(/[.+-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    if (pa[i] === undefined) return 1;
    if (pb[i] === undefined) return -1;
    return typeof pa[i] === "number" && typeof pb[i] === "number"
      ? (pa[i] as number) - (pb[i] as number)
      : String(pa[i]).localeCompare(String(pb[i]));
  }
  return 0;
}

export async function startRegistry(o: { nodeModules: string; tarballs: string[] }): Promise<LocalRegistry> {
  const packages: LocalRegistry["packages"] = new Map();
  const add = (manifest: PackageJson, source: Source) => {
    if (!manifest.name || !manifest.version) return;
    let versions = packages.get(manifest.name);
    if (!versions) packages.set(manifest.name, (versions = new Map()));
    if (!versions.has(manifest.version) || "tarball" in source) versions.set(manifest.version, { ...source, manifest });
  };
  for (const dir of installedPackages(o.nodeModules)) {
    try {
      add(JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson, { dir });
    } catch {
      // A package.json that is not JSON (some packages ship test fixtures named so): not a package.
    }
  }
  for (const tarball of o.tarballs) {
    const { stdout } = await run("tar", ["-xzOf", tarball, "package/package.json"], { maxBuffer: 16 << 20 });
    add(JSON.parse(stdout) as PackageJson, { tarball });
  }

  const cache = mkdtempSync(path.join(tmpdir(), "veritas-registry-"));
  const made = new Map<string, Promise<string>>();
  const served: string[] = [];
  /** The tarball of name@version: the given one, or the installed directory packed (as `package/`). */
  const tarballOf = (name: string, version: string, source: Source): Promise<string> => {
    if ("tarball" in source) return Promise.resolve(source.tarball);
    const key = `${name}@${version}`;
    let p = made.get(key);
    if (!p) {
      const file = path.join(cache, `${key.replace(/[@/]/g, "_")}.tgz`);
      p = run("tar", ["-czf", file, "--exclude=./node_modules", "--transform=s,^\\.,package,", "-C", source.dir, "."], {
        maxBuffer: 16 << 20,
        env: { ...process.env, GZIP: "-1" },
      }).then(() => file);
      made.set(key, p);
    }
    return p;
  };

  let base = "";
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? "/").split("?")[0]).slice(1);
    const tar = /^-\/tarball\/(.+)\/([^/]+)\.tgz$/.exec(url);
    if (tar) {
      const source = packages.get(tar[1])?.get(tar[2]);
      if (!source) return void res.writeHead(404).end();
      tarballOf(tar[1], tar[2], source).then(
        (file) => {
          served.push(`${tar[1]}@${tar[2]}`);
          res.writeHead(200, { "content-type": "application/octet-stream", "content-length": statSync(file).size });
          createReadStream(file).pipe(res);
        },
        (e: Error) => res.writeHead(500).end(e.message),
      );
      return;
    }
    const versions = packages.get(url);
    if (!versions) return void res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
    const all = [...versions.keys()].sort(compareVersions);
    const doc = {
      name: url,
      "dist-tags": { latest: all[all.length - 1] },
      versions: Object.fromEntries(
        all.map((v) => [
          v,
          {
            ...versions.get(v)!.manifest,
            _id: `${url}@${v}`,
            dist: { tarball: `${base}-/tarball/${url}/${v}.tgz` },
          },
        ]),
      ),
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    packages,
    served,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(cache, { recursive: true, force: true });
    },
  };
}
