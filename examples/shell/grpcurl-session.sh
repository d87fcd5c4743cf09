#!/bin/sh
# One session with the demo blog from grpcurl, through server reflection (no
# .proto files). Run it from the repository's root while scripts/demo serves;
# it needs grpcurl >= 1.8 and jq. grpcurl is not packaged in Debian bookworm:
# orb's doc test runs this when grpcurl is installed, and always checks that
# it sends exactly the requests of buf-curl-session.sh, which it runs.
set -eu
ORB="${ORB:-127.0.0.1:50051}"
BOB='authorization: Bearer bob-demo-token'

grpcurl -plaintext "$ORB" list
grpcurl -plaintext "$ORB" describe orb.v1.ObjectBroker

opened=$(grpcurl -plaintext -H "$BOB" \
  -d '{"clientName": "quickstart"}' "$ORB" orb.v1.ObjectBroker/OpenSession)
echo "$opened"
session=$(echo "$opened" | jq -r .session)
root=$(echo "$opened" | jq -r .root.id)
echo "$opened" | jq -r '.root.typeName // .root.type_name'

grpcurl -plaintext -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"title\"}" \
  "$ORB" orb.v1.ObjectBroker/GetAttr

grpcurl -plaintext -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"add_entry\",
       \"args\": [{\"stringValue\": \"Hello\"}, {\"stringValue\": \"from the shell\"}]}" \
  "$ORB" orb.v1.ObjectBroker/Call

grpcurl -plaintext -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"_secret\"}" \
  "$ORB" orb.v1.ObjectBroker/GetAttr || echo "(refused, as expected)"

grpcurl -plaintext -H "$BOB" \
  -d "{\"session\": \"$session\"}" "$ORB" orb.v1.ObjectBroker/CloseSession
