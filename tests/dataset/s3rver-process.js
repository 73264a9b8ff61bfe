'use strict';
// s3rver for the dataset tests, in its own process. It must run under --openssl-legacy-provider:
// s3rver's ListObjectsV2 continuation tokens use DES, which Node 17+ only offers with that flag,
// and without them no listing longer than one page (1000 keys) works.
// argv: <storage directory> <bucket> <events file>. Prints {"port": N} once listening; every
// object created is appended to the events file (synchronously, before the response is sent);
// exits when stdin closes, so it never outlives the test process.
const fs = require('fs');
const S3rver = require('s3rver');

const [directory, bucket, eventsFile] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
server.on('event', e => {
  for (const r of e.Records) {
    if (r.eventName.startsWith('ObjectCreated:')) {
      fs.appendFileSync(eventsFile, JSON.stringify({ event: r.eventName, key: r.s3.object.key }) + '\n');
    }
  }
});
server.run().then(
  ({ port }) => process.stdout.write(JSON.stringify({ port }) + '\n'),
  err => {
    process.stderr.write(String(err && err.stack || err) + '\n');
    process.exit(1);
  },
);
process.stdin.on('end', () => server.close().then(() => process.exit(0), () => process.exit(1)));
process.stdin.resume();
