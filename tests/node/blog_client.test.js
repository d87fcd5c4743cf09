// The blog demo from Node: @grpc/grpc-js with @grpc/proto-loader (loading
// proto/orb/v1/broker.proto at run time) against a real orbd.
//
//   ORB_SOURCE_DIR=. ORB_BINARY_DIR=build node --test tests/node/blog_client.test.js
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { after, before, beforeEach, afterEach, test } = require('node:test');
const support = require('./support');

support.requireNpmPackages();
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = path.join(support.SOURCE_DIR, 'proto');
const orb = grpc.loadPackageDefinition(protoLoader.loadSync('orb/v1/broker.proto', {
  keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
  includeDirs: [PROTO_DIR],
})).orb.v1;
const details = new protobuf.Root().loadSync(path.join(PROTO_DIR, 'orb/v1/error_details.proto'),
                                             { keepCase: true });
const TOKENS = { anonymous: null, bob: 'bob-demo-token', alice: 'alice-demo-token' };

const s = (text) => ({ string_value: text });

// Decodes grpc-status-details-bin: an orb.v1.Status (google.rpc.Status on the
// wire) whose details hold one orb.v1.ErrorInfo.
function errorInfo(error) {
  const raw = error.metadata.get('grpc-status-details-bin');
  assert.equal(raw.length, 1, `no grpc-status-details-bin trailer: ${JSON.stringify(error.metadata.getMap())}`);
  const status = details.lookupType('orb.v1.Status').decode(raw[0]);
  assert.equal(status.code, error.code);
  assert.equal(status.message, error.details);
  assert.equal(status.details.length, 1);
  assert.equal(status.details[0].type_url, 'type.googleapis.com/orb.v1.ErrorInfo');
  return details.lookupType('orb.v1.ErrorInfo').toObject(
    details.lookupType('orb.v1.ErrorInfo').decode(status.details[0].value), { defaults: true });
}

class Client {
  constructor(address, who) {
    this.broker = new orb.ObjectBroker(address, grpc.credentials.createInsecure());
    this.metadata = new grpc.Metadata();
    if (TOKENS[who]) this.metadata.add('authorization', `Bearer ${TOKENS[who]}`);
    this.who = who;
  }

  rpc(method, request) {
    return new Promise((resolve, reject) => {
      this.broker[method](request, this.metadata, { deadline: Date.now() + 10000 },
                          (error, response) => (error ? reject(error) : resolve(response)));
    });
  }

  async open() {
    this.opened = await this.rpc('OpenSession', { client_name: `node-test/${this.who}` });
    this.session = this.opened.session;
    this.root = this.opened.root.id;
    return this;
  }

  async getattr(handle, name) {
    return (await this.rpc('GetAttr', { session: this.session, handle, name })).value;
  }

  setattr(handle, name, value) {
    return this.rpc('SetAttr', { session: this.session, handle, name, value });
  }

  async call(handle, name, ...args) {
    return (await this.rpc('Call', { session: this.session, handle, name, args })).result;
  }

  async addEntry(title) {
    const result = await this.call(this.root, 'add_entry', s(title), s(`body of ${title}`));
    assert.equal(result.kind, 'handle', `add_entry returned ${JSON.stringify(result)}`);
    return result.handle;
  }

  async findEntry(title) {
    const entries = await this.call(this.root, 'entries');
    for (const v of entries.list_value.values) {
      if ((await this.getattr(v.handle.id, 'title')).string_value === title) return v.handle.id;
    }
    throw new Error(`no entry titled ${JSON.stringify(title)} seen from ${this.who}'s session`);
  }

  close() {
    this.broker.close();
  }
}

// Asserts that `promise` fails with gRPC status `code`; returns the error.
async function refused(promise, code) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${grpc.status[code]}, but the call succeeded`);
  assert.equal(error.code, code, `expected ${grpc.status[code]}, got ${grpc.status[error.code]}: ${error.details}`);
  return error;
}

let server;
let anonymous;
let bob;
let alice;

before(async () => {
  server = await support.startOrbd();
});
after(async () => {
  await server.stop();
});
beforeEach(async () => {
  anonymous = await new Client(server.address, 'anonymous').open();
  bob = await new Client(server.address, 'bob').open();
  alice = await new Client(server.address, 'alice').open();
});
afterEach(() => {
  for (const c of [anonymous, bob, alice]) c.close();
});

test('OpenSession reports identity, protocol and root', () => {
  assert.equal(anonymous.opened.userid, '');
  assert.deepEqual(anonymous.opened.principals, ['system.Everyone']);
  assert.equal(bob.opened.userid, 'bob');
  assert.ok(bob.opened.principals.includes('system.Authenticated'));
  assert.equal(alice.opened.userid, 'alice');
  assert.ok(alice.opened.principals.includes('group:editors'));
  for (const c of [anonymous, bob, alice]) {
    assert.equal(c.opened.protocol, 'orb.v1');
    assert.equal(c.opened.root.type_name, 'demo.Blog');
    assert.ok(c.opened.lease_seconds > 0);
  }
  assert.equal(new Set([anonymous.session, bob.session, alice.session]).size, 3);
});

test('everyone reads the title', async () => {
  for (const c of [anonymous, bob, alice]) {
    const title = await c.getattr(c.root, 'title');
    assert.equal(title.kind, 'string_value');
    assert.ok(title.string_value.length > 0);
  }
});

test('anonymous add_entry is PERMISSION_DENIED by the ACL', async () => {
  const error = await refused(anonymous.call(anonymous.root, 'add_entry', s('t'), s('b')),
                              grpc.status.PERMISSION_DENIED);
  const info = errorInfo(error);
  assert.equal(info.reason, 'ACL_DENIED');
  assert.equal(info.gate, 'acl');
});

test('bob adds an entry and edits it', async () => {
  const entry = await bob.addEntry('bob in node');
  assert.equal(entry.type_name, 'demo.Entry');
  assert.equal(entry.is_class, false);
  assert.equal((await bob.getattr(entry.id, 'owner')).string_value, 'bob');
  await bob.setattr(entry.id, 'title', s('bob edited'));
  assert.equal((await bob.getattr(entry.id, 'title')).string_value, 'bob edited');
  await bob.rpc('DelAttr', { session: bob.session, handle: entry.id, name: 'body' });
  assert.equal((await bob.getattr(entry.id, 'body')).kind, 'null_value');
});

test("bob cannot edit or delete alice's entry", async () => {
  await alice.addEntry('alice in node');
  const seenByBob = await bob.findEntry('alice in node');
  const error = await refused(bob.setattr(seenByBob, 'title', s('hijack')),
                              grpc.status.PERMISSION_DENIED);
  assert.equal(errorInfo(error).gate, 'acl');
  await refused(bob.call(seenByBob, 'delete'), grpc.status.PERMISSION_DENIED);
  assert.equal((await alice.getattr(await alice.findEntry('alice in node'), 'title')).string_value,
               'alice in node');
});

test("alice the editor deletes bob's entry", async () => {
  await bob.addEntry("bob's, soon gone");
  const before = (await bob.getattr(bob.root, 'entry_count')).int_value;
  await alice.call(await alice.findEntry("bob's, soon gone"), 'delete');
  assert.equal((await bob.getattr(bob.root, 'entry_count')).int_value, before - 1);
  await assert.rejects(bob.findEntry("bob's, soon gone"), /no entry titled/);
});

test('_secret is NOT_FOUND exactly like a missing name', async () => {
  for (const c of [anonymous, bob, alice]) {
    const secret = await refused(c.getattr(c.root, '_secret'), grpc.status.NOT_FOUND);
    const missing = await refused(c.getattr(c.root, 'no_such_name'), grpc.status.NOT_FOUND);
    assert.equal(secret.details.replace('_secret', 'NAME'),
                 missing.details.replace('no_such_name', 'NAME'));
    assert.deepEqual(errorInfo(secret), errorInfo(missing));
    assert.equal(errorInfo(secret).reason, 'NAME_NOT_FOUND');
    assert.equal(errorInfo(secret).gate, 'olp');
  }
});

test('the class handle reads max_title_length', async () => {
  const cls = await bob.getattr(bob.root, 'Entry');
  assert.equal(cls.kind, 'handle');
  assert.equal(cls.handle.is_class, true);
  assert.equal(cls.handle.type_name, 'demo.Entry');
  assert.equal((await bob.getattr(cls.handle.id, 'max_title_length')).int_value, 200);
  await refused(bob.getattr(cls.handle.id, 'title'), grpc.status.NOT_FOUND);
});

test('Describe lists members and what bob may do', async () => {
  const described = await bob.rpc('Describe', { session: bob.session, handle: bob.root });
  assert.equal(described.type_name, 'demo.Blog');
  assert.equal(described.is_class, false);
  assert.equal(described.view, 'instance');
  const allowed = new Map(described.members.map((m) => [`${m.op} ${m.name}`, m.allowed]));
  assert.equal(allowed.get('getattr title'), true);
  assert.equal(allowed.get('call add_entry'), true);
  assert.equal(allowed.get('setattr title'), false);
  assert.ok(!described.members.some((m) => m.name === '_secret'));
});

test('a released handle is NOT_FOUND', async () => {
  const entry = await bob.addEntry('released in node');
  const released = await bob.rpc('Release', { session: bob.session, handles: [entry.id] });
  assert.equal(released.released, 1);
  const error = await refused(bob.getattr(entry.id, 'title'), grpc.status.NOT_FOUND);
  assert.equal(errorInfo(error).reason, 'HANDLE_NOT_FOUND');
});

test('CloseSession releases its handles', async () => {
  await bob.addEntry('closed in node');
  const closed = await bob.rpc('CloseSession', { session: bob.session });
  assert.equal(closed.released_handles, 2); // the root and the entry
  const error = await refused(bob.getattr(bob.root, 'title'), grpc.status.NOT_FOUND);
  assert.equal(errorInfo(error).reason, 'SESSION_NOT_FOUND');
});

test('a wrong token is UNAUTHENTICATED', async () => {
  const mallory = new Client(server.address, 'anonymous');
  mallory.metadata.add('authorization', 'Bearer nope');
  try {
    const error = await refused(mallory.open(), grpc.status.UNAUTHENTICATED);
    assert.equal(errorInfo(error).gate, 'authn');
  } finally {
    mallory.close();
  }
});

test('the Node example runs', async () => {
  const example = path.join(support.SOURCE_DIR, 'examples', 'node', 'blog_session.js');
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, [example, server.address],
             { env: { ...process.env, NODE_PATH: support.NODE_MODULES }, timeout: 30000 },
             (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)));
  });
  assert.deepEqual(stdout.trim().split('\n'), [
    'opened a session as bob; root is a demo.Blog',
    'title: orb demo blog',
    'add_entry returned a demo.Entry handle',
    'entry title: Hello again',
    '_secret: NOT_FOUND reason=NAME_NOT_FOUND gate=olp',
    'closed the session, releasing 2 handles',
  ]);
});
