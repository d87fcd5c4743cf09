#!/bin/sh
# One session with the demo blog from grpcurl, through server reflection (no
# .proto files). Run it from the repository's root while scripts/demo serves;
# it needs grpcurl >= 1.8 and jq. grpcurl is not packaged in Debian bookworm,
# so orb's tests run the same session with buf curl instead
# (buf-curl-session.sh); this script is written by analogy with that one.
set -eu
ORB="${ORB:-127.0.0.1:50051}"
BOB='authorization: Bearer bob-demo-token'

grpcurl -plaintext "$ORB" list
grpcurl -plaintext "$ORB" describe orb.v1.ObjectBroker

opened=$(grpcurl -plaintext -H "$BOB" \
  -d '{"clientName": "grpcurl"}' "$ORB" orb.v1.ObjectBroker/OpenSession)
echo "$opened"
session=$(echo "$opened" | jq -r .session)
root=$(echo "$opened" | jq -r .root.id)

grpcurl -plaintext -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"title\"}" \
  "$ORB" orb.v1.ObjectBroker/GetAttr

grpcurl -plaintext -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"add_entry\",
       \"args\": [{\"stringValue\": \"Hello\"}, {\"stringValue\": \"from grpcurl\"}]}" \
  "$ORB" orb.v1.ObjectBroker/Call

grpcurl -plaintext -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"_secret\"}" \
  "$ORB" orb.v1.ObjectBroker/GetAttr || echo "(refused, as expected)"

grpcurl -plaintext -H "$BOB" \
  -d "{\"session\": \"$session\"}" "$ORB" orb.v1.ObjectBroker/CloseSession
