// Starts the real binary on 127.0.0.1:0 with a temp data file, like the
// Rust black-box tests, for tests that need a JavaScript client library.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = process.env.CARGO_TARGET_DIR || join(here, "..", "..", "target");
export const BIN = process.env.AIWEBENGINE_BIN || join(target, "debug", "aiwebengine");
const EMAIL = "admin@example.com";
const PASSWORD = "correct horse battery staple";

export function testScript(name) {
  return readFileSync(join(here, "..", "test_scripts", name), "utf8");
}

/**
 * `http`: the listen address (default a free port); `config`: TOML text
 * written to a config file in the server's temp directory (removed with
 * it); `env`: extra environment, such as AIWEBENGINE_CONFIG for a config
 * file the caller manages.
 */
export async function startEngine({ http = "127.0.0.1:0", config, env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "aiwe-client-"));
  const data = join(dir, "data.redb");
  if (config !== undefined) {
    const file = join(dir, "aiwebengine.toml");
    writeFileSync(file, config);
    env = { AIWEBENGINE_CONFIG: file, ...env };
  }
  execFileSync(BIN, ["admin", "create", EMAIL, "--password", PASSWORD, "--data", data]);
  const child = spawn(BIN, ["serve", "--data", data, "--http", http, "--https", "off"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no 'listening on' line within 20 s")), 20000);
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited early with ${code}: ${stderr}`)));
  });
  const login = await fetch(`${url}/engine/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const { token } = await login.json();
  const api = (method, path, body) =>
    fetch(url + path, { method, body, headers: { authorization: `Bearer ${token}` } });
  return {
    url,
    token,
    data,
    api,
    async deploy(name, source) {
      const r = await api("PUT", `/engine/api/scripts/${name}`, source);
      if (r.status >= 300) throw new Error(`deploy ${name}: ${r.status} ${await r.text()}`);
    },
    /** Stops the server; `keep` leaves the data file for the caller. */
    async stop(keep = false) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value, for at most 10 s. */
export async function eventually(what, check) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
