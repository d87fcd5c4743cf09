#!/bin/sh
# One session with the demo blog from buf curl, through server reflection (no
# .proto files needed for the calls). Run it from the repository's root while
# scripts/demo serves; it needs buf (npm install @bufbuild/buf), jq and, to
# decode the error detail, protoc.
set -eu
ORB="${ORB:-127.0.0.1:50051}"
BOB='authorization: Bearer bob-demo-token'

buf curl --protocol grpc --http2-prior-knowledge --list-services "http://$ORB"

opened=$(buf curl --protocol grpc --http2-prior-knowledge -H "$BOB" \
  -d '{"clientName": "quickstart"}' "http://$ORB/orb.v1.ObjectBroker/OpenSession")
echo "$opened"
session=$(echo "$opened" | jq -r .session)
root=$(echo "$opened" | jq -r .root.id)
echo "$opened" | jq -r '.root.typeName // .root.type_name'

buf curl --protocol grpc --http2-prior-knowledge -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"title\"}" \
  "http://$ORB/orb.v1.ObjectBroker/GetAttr"

buf curl --protocol grpc --http2-prior-knowledge -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"add_entry\",
       \"args\": [{\"stringValue\": \"Hello\"}, {\"stringValue\": \"from the shell\"}]}" \
  "http://$ORB/orb.v1.ObjectBroker/Call"

refused=$(buf curl --protocol grpc --http2-prior-knowledge -H "$BOB" \
  -d "{\"session\": \"$session\", \"handle\": \"$root\", \"name\": \"_secret\"}" \
  "http://$ORB/orb.v1.ObjectBroker/GetAttr" 2>&1) || true
echo "$refused"
echo "$refused" | jq -r '.details[0].value' | base64 -d |
  protoc -I proto --decode=orb.v1.ErrorInfo orb/v1/error_details.proto

buf curl --protocol grpc --http2-prior-knowledge -H "$BOB" \
  -d "{\"session\": \"$session\"}" "http://$ORB/orb.v1.ObjectBroker/CloseSession"
