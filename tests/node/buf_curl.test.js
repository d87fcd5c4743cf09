// buf curl (from npm's @bufbuild/buf) against a real orbd, with server
// reflection and no .proto files: examples/shell/buf-curl-session.sh, the
// commands docs/quickstart.md shows, run as written.
//
//   ORB_SOURCE_DIR=. ORB_BINARY_DIR=build node --test tests/node/buf_curl.test.js
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { after, before, test } = require('node:test');
const support = require('./support');

support.requireNpmPackages();
const protobuf = require('protobufjs');

const BIN = path.join(support.NODE_MODULES, '.bin');
const errorInfoType = new protobuf.Root()
  .loadSync(path.join(support.SOURCE_DIR, 'proto/orb/v1/error_details.proto'), { keepCase: true })
  .lookupType('orb.v1.ErrorInfo');

// Runs a command with buf on PATH from the repository's root; resolves to
// { code, stdout, stderr } whatever the exit status.
function run(file, args, env = {}) {
  return new Promise((resolve) => {
    execFile(file, args, {
      cwd: support.SOURCE_DIR,
      env: { ...process.env, ...env, PATH: `${BIN}:${process.env.PATH}` },
      timeout: 30000,
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr });
    });
  });
}

// Splits output into its JSON documents (each from a line "{" to a line "}")
// and the other lines, in order.
function parseOutput(text) {
  const items = [];
  let doc = null;
  for (const line of text.split('\n')) {
    if (doc !== null) {
      doc.push(line);
      if (line === '}') {
        items.push({ json: JSON.parse(doc.join('\n')) });
        doc = null;
      }
    } else if (line === '{') {
      doc = [line];
    } else if (line !== '') {
      items.push({ line });
    }
  }
  assert.equal(doc, null, `unterminated JSON document in:\n${text}`);
  return items;
}

let server;
before(async () => {
  server = await support.startOrbd();
});
after(async () => {
  await server.stop();
});

test('buf is the pinned linux binary from npm', async () => {
  const { code, stdout, stderr } = await run(path.join(BIN, 'buf'), ['--version']);
  assert.equal(code, 0, stderr);
  const lock = require(path.join(support.NODE_DIR, 'package-lock.json'));
  assert.equal(stdout.trim(), lock.packages['node_modules/@bufbuild/buf'].version);
});

test('reflection describes every listed service, health checks included', async () => {
  const { code, stdout, stderr } = await run(path.join(BIN, 'buf'), [
    'curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--list-methods',
    `http://${server.address}`]);
  assert.equal(code, 0, `--list-methods failed (exit ${code}):\n${stderr}`);
  const methods = stdout.trim().split('\n');
  for (const m of ['grpc.health.v1.Health/Check', 'orb.v1.ObjectBroker/OpenSession',
    'orb.v1.ObjectBroker/Call', 'orb.v1.ObjectBroker/Restrict', 'orb.v1.ObjectBroker/Batch',
    'orb.v1.ObjectBroker/Stream']) {
    assert.ok(methods.includes(m), `${m} missing from:\n${stdout}`);
  }
});

test('the buf curl session of the quick start runs through reflection', async () => {
  const { code, stdout, stderr } = await run(
    'sh', ['examples/shell/buf-curl-session.sh'], { ORB: server.address });
  assert.equal(code, 0, `the script failed (exit ${code}):\n${stdout}\n${stderr}`);
  const items = parseOutput(stdout);
  const lines = items.filter((i) => 'line' in i).map((i) => i.line);
  const docs = items.filter((i) => 'json' in i).map((i) => i.json);
  assert.equal(docs.length, 5, stdout);
  const [opened, title, added, refused, closed] = docs;

  // --list-services, then the reflection-decoded responses.
  assert.deepEqual(lines.slice(0, 4).sort(), [
    'grpc.health.v1.Health', 'grpc.reflection.v1alpha.ServerReflection', 'orb.v1.BrokerAdmin',
    'orb.v1.ObjectBroker']);
  assert.equal(opened.userid, 'bob');
  assert.equal(opened.protocol, 'orb.v1');
  assert.match(opened.session, /^[A-Za-z0-9._-]+~[0-9a-f]{8}\.[0-9a-f]{32}$/);
  assert.equal(opened.session.split('~')[0], opened.route);
  assert.equal(opened.root.typeName, 'demo.Blog');
  assert.ok(opened.principals.includes('system.Authenticated'));
  assert.deepEqual(title, { value: { stringValue: 'orb demo blog' } });
  assert.equal(added.result.handle.typeName, 'demo.Entry');
  assert.match(added.result.handle.id, /^[0-9a-f]{32}$/);
  assert.notEqual(added.result.handle.id, opened.root.id);

  // The error: NOT_FOUND, worded like a missing name, with an orb.v1.ErrorInfo.
  assert.equal(refused.code, 'not_found');
  assert.match(refused.message, /has no attribute '_secret'/);
  assert.equal(refused.details.length, 1);
  assert.equal(refused.details[0].type, 'orb.v1.ErrorInfo');
  const info = errorInfoType.decode(Buffer.from(refused.details[0].value, 'base64'));
  assert.equal(info.reason, 'NAME_NOT_FOUND');
  assert.equal(info.gate, 'olp');
  // The root's type, which jq read with a filter that also reads grpcurl
  // 1.8's proto names; then the detail, which protoc --decode prints.
  assert.deepEqual(lines.slice(4), ['demo.Blog', 'reason: "NAME_NOT_FOUND"', 'gate: "olp"']);

  assert.deepEqual(closed, { releasedHandles: 2 });
});

test('anonymous add_entry through buf curl is permission_denied by the ACL', async () => {
  const url = `http://${server.address}/orb.v1.ObjectBroker`;
  const grpcFlags = ['curl', '--protocol', 'grpc', '--http2-prior-knowledge'];
  const opened = await run('buf', [...grpcFlags, '-d', '{}', `${url}/OpenSession`]);
  assert.equal(opened.code, 0, opened.stderr);
  const { session, root, userid } = JSON.parse(opened.stdout);
  assert.equal(userid, undefined, 'an anonymous session has no userid');
  const call = await run('buf', [...grpcFlags, '-d', JSON.stringify({
    session, handle: root.id, name: 'add_entry',
    args: [{ stringValue: 't' }, { stringValue: 'b' }],
  }), `${url}/Call`]);
  assert.equal(call.code, 7 * 8, `buf curl exits with 8 x the gRPC code:\n${call.stderr}`);
  const error = JSON.parse(call.stderr);
  assert.equal(error.code, 'permission_denied');
  const info = errorInfoType.decode(Buffer.from(error.details[0].value, 'base64'));
  assert.equal(info.reason, 'ACL_DENIED');
  assert.equal(info.gate, 'acl');
});

// Drives one Stream through buf curl, which sends each frame as it reads it
// from standard input and prints each answer as it comes: the session is
// opened on the stream, and the next frames use what it answered.
test('a Stream session through buf curl: opened, used and closed on one stream', async () => {
  const { spawn } = require('node:child_process');
  const child = spawn('buf', ['curl', '--protocol', 'grpc', '--http2-prior-knowledge',
    '-H', 'authorization: Bearer bob-demo-token', '-d', '@-',
    `http://${server.address}/orb.v1.ObjectBroker/Stream`], {
    cwd: support.SOURCE_DIR,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` },
  });
  let stdout = '';
  let stderr = '';
  const waiters = [];
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise((resolve) => child.on('close', resolve));
  const answers = () => parseOutput(stdout).filter((i) => 'json' in i).map((i) => i.json);
  // Resolves once `n` answers have been printed (30 s at most).
  const awaitAnswers = async (n) => {
    const until = Date.now() + 30000;
    while (answers().length < n) {
      assert.ok(Date.now() < until, `waited for ${n} answers:\n${stdout}\n${stderr}`);
      await new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return answers();
  };

  child.stdin.write(JSON.stringify({ id: '1', openSession: { clientName: 'buf-stream' } }) + '\n');
  const [opened] = await awaitAnswers(1);
  assert.equal(opened.id, '1');
  assert.equal(opened.openSession.userid, 'bob');
  assert.ok(opened.openSession.features.includes('stream'));
  const session = opened.openSession.session;
  const handle = opened.openSession.root.id;
  for (const frame of [
    { id: '2', getAttr: { session, handle, name: 'title' } },
    { id: '3', getAttr: { session, handle, name: '_secret' } },
    { id: '4', cancel: {} },
    { id: '5', describe: { session, handle } },
  ]) {
    child.stdin.write(JSON.stringify(frame) + '\n');
  }
  const answered = await awaitAnswers(4);
  child.stdin.write(JSON.stringify({ id: '6', closeSession: { session } }) + '\n');
  child.stdin.end();
  assert.equal(await exited, 0, stderr);

  const byId = Object.fromEntries(answers().map((a) => [a.id, a]));
  assert.deepEqual(Object.keys(byId).sort(), ['1', '2', '3', '5', '6'],
    'every frame but the cancel is answered once');
  assert.equal(answered.length, 4);
  assert.deepEqual(byId['2'].getAttr, { value: { stringValue: 'orb demo blog' } });
  assert.equal(byId['3'].error.codeName, 'NOT_FOUND');
  assert.match(byId['3'].error.message, /has no attribute '_secret'/);
  assert.deepEqual(byId['3'].error.info, { reason: 'NAME_NOT_FOUND', gate: 'olp' });
  assert.equal(byId['5'].describe.typeName, 'demo.Blog');
  assert.deepEqual(byId['6'].closeSession, { releasedHandles: 1 });
});
