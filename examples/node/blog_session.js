// One session with the demo blog from Node (@grpc/grpc-js + @grpc/proto-loader).
//
//   (cd examples/node && npm install)   # once: the packages of package.json
//   node examples/node/blog_session.js 127.0.0.1:50051
'use strict';
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const protoDir = path.join(__dirname, '..', '..', 'proto');
const definition = protoLoader.loadSync('orb/v1/broker.proto', {
  keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true,
  includeDirs: [protoDir],
});
const orb = grpc.loadPackageDefinition(definition).orb.v1;
const errorDetails = new protobuf.Root().loadSync(
  path.join(protoDir, 'orb/v1/error_details.proto'), { keepCase: true });

// The orb.v1.ErrorInfo in the grpc-status-details-bin trailer.
function errorInfo(error) {
  const [bytes] = error.metadata.get('grpc-status-details-bin');
  if (!bytes) return null;
  const status = errorDetails.lookupType('orb.v1.Status').decode(bytes);
  const detail = status.details.find((d) => d.type_url.endsWith('/orb.v1.ErrorInfo'));
  return detail && errorDetails.lookupType('orb.v1.ErrorInfo').decode(detail.value);
}

async function main(address) {
  const broker = new orb.ObjectBroker(address, grpc.credentials.createInsecure());
  const bob = new grpc.Metadata();
  bob.add('authorization', 'Bearer bob-demo-token');
  const rpc = (method, request) => new Promise((resolve, reject) => {
    broker[method](request, bob, { deadline: Date.now() + 10000 },
                   (error, response) => (error ? reject(error) : resolve(response)));
  });
  const string = (s) => ({ string_value: s });

  const opened = await rpc('OpenSession', { client_name: 'node-example' });
  const { session } = opened;
  const root = opened.root.id;
  console.log(`opened a session as ${opened.userid}; root is a ${opened.root.type_name}`);

  const title = await rpc('GetAttr', { session, handle: root, name: 'title' });
  console.log(`title: ${title.value.string_value}`);

  const added = await rpc('Call', {
    session, handle: root, name: 'add_entry', args: [string('Hello'), string('from Node')],
  });
  const entry = added.result.handle;
  console.log(`add_entry returned a ${entry.type_name} handle`);

  await rpc('SetAttr', { session, handle: entry.id, name: 'title', value: string('Hello again') });
  const retitled = await rpc('GetAttr', { session, handle: entry.id, name: 'title' });
  console.log(`entry title: ${retitled.value.string_value}`);

  try {
    await rpc('GetAttr', { session, handle: root, name: '_secret' });
  } catch (error) {
    const info = errorInfo(error);
    console.log(`_secret: ${grpc.status[error.code]} reason=${info.reason} gate=${info.gate}`);
  }

  const closed = await rpc('CloseSession', { session });
  console.log(`closed the session, releasing ${closed.released_handles} handles`);
  broker.close();
}

main(process.argv[2] || '127.0.0.1:50051').catch((error) => {
  console.error(error);
  process.exit(1);
});
