// Shared by the Node and buf curl tests: where things are, the installed npm
// packages, and a real orbd on an ephemeral loopback port stopped by PID.
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const SOURCE_DIR = path.resolve(process.env.ORB_SOURCE_DIR || path.join(__dirname, '..', '..'));
const BINARY_DIR = path.resolve(process.env.ORB_BINARY_DIR || path.join(SOURCE_DIR, 'build'));
const NODE_DIR = path.join(SOURCE_DIR, 'tests', 'node');
const NODE_MODULES = path.join(NODE_DIR, 'node_modules');

// Fails (never skips) unless `npm ci` installed exactly the lockfile's packages.
function requireNpmPackages() {
  const lock = fs.readFileSync(path.join(NODE_DIR, 'package-lock.json'));
  const want = crypto.createHash('sha256').update(lock).digest('hex');
  let have = '';
  try {
    have = fs.readFileSync(path.join(NODE_MODULES, '.orb-lockfile.sha256'), 'utf8').trim();
  } catch (e) {
    // reported below
  }
  if (have !== want) {
    throw new Error(`the npm packages of tests/node are not installed as package-lock.json pins ` +
      `them; run scripts/install-deps (it runs 'npm ci' in tests/node and needs the npm registry)`);
  }
}

// Starts orbd with the demo policy; resolves to { address, stop() }.
// stop() sends SIGTERM to the PID and asserts a clean exit 0.
async function startOrbd() {
  const orbd = path.join(BINARY_DIR, 'bin', 'orbd');
  try {
    fs.accessSync(orbd, fs.constants.X_OK);
  } catch (e) {
    throw new Error(`${orbd} is missing: build it (cmake --build build --target orbd)`);
  }
  const policy = path.join(SOURCE_DIR, 'examples', 'blog', 'policy.textproto');
  const child = spawn(orbd, ['--listen=127.0.0.1:0', '--service=blog', `--policy=${policy}`],
                      { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  child.stderr.setEncoding('utf8');
  const address = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`orbd did not start serving within 20 s:\n${log}`));
    }, 20000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /serving '[^']*' on ([0-9.]+:[0-9]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`orbd exited before serving (${JSON.stringify(exited)}):\n${log}`));
    });
  });
  return {
    address,
    pid: child.pid,
    log: () => log,
    async stop() {
      if (exited === null) process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      const { code, signal } = await exit;
      clearTimeout(timer);
      assert.deepEqual({ code, signal }, { code: 0, signal: null },
                       `orbd did not exit 0 after SIGTERM:\n${log}`);
      for (const token of ['bob-demo-token', 'alice-demo-token']) {
        assert.ok(!log.includes(token), `orbd's log contains a credential (${token})`);
      }
    },
  };
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

module.exports = { SOURCE_DIR, BINARY_DIR, NODE_DIR, NODE_MODULES, requireNpmPackages, startOrbd,
                   tempDir };
