"""One session with the demo blog from Python (python3-grpcio).

    examples/python/gen_stubs.sh gen
    PYTHONPATH=gen python3 examples/python/blog_session.py 127.0.0.1:50051
"""
import sys

import grpc

from orb.v1 import broker_pb2, broker_pb2_grpc, error_details_pb2, value_pb2


def string(s):
    return value_pb2.Value(string_value=s)


def error_info(error):
    """The orb.v1.ErrorInfo in the grpc-status-details-bin trailer."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = error_details_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info
    return None


def main(address):
    channel = grpc.insecure_channel(address)
    broker = broker_pb2_grpc.ObjectBrokerStub(channel)
    bob = [("authorization", "Bearer bob-demo-token")]

    opened = broker.OpenSession(broker_pb2.OpenSessionRequest(client_name="python-example"),
                                metadata=bob, timeout=10)
    session, root = opened.session, opened.root.id
    print(f"opened a session as {opened.userid}; root is a {opened.root.type_name}")

    title = broker.GetAttr(broker_pb2.GetAttrRequest(session=session, handle=root, name="title"),
                           metadata=bob, timeout=10)
    print(f"title: {title.value.string_value}")

    added = broker.Call(broker_pb2.CallRequest(session=session, handle=root, name="add_entry",
                                               args=[string("Hello"), string("from Python")]),
                        metadata=bob, timeout=10)
    entry = added.result.handle
    print(f"add_entry returned a {entry.type_name} handle")

    broker.SetAttr(broker_pb2.SetAttrRequest(session=session, handle=entry.id, name="title",
                                             value=string("Hello again")),
                   metadata=bob, timeout=10)
    retitled = broker.GetAttr(broker_pb2.GetAttrRequest(session=session, handle=entry.id,
                                                        name="title"),
                              metadata=bob, timeout=10)
    print(f"entry title: {retitled.value.string_value}")

    try:
        broker.GetAttr(broker_pb2.GetAttrRequest(session=session, handle=root, name="_secret"),
                       metadata=bob, timeout=10)
    except grpc.RpcError as error:
        info = error_info(error)
        print(f"_secret: {error.code().name} reason={info.reason} gate={info.gate}")

    closed = broker.CloseSession(broker_pb2.CloseSessionRequest(session=session),
                                 metadata=bob, timeout=10)
    print(f"closed the session, releasing {closed.released_handles} handles")
    channel.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051")
