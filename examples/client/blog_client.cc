// The blog demo from C++: bob adds an entry, edits it, and finds he may not
// retitle the blog. Usage: blog_client [HOST:PORT]
#include <iostream>
#include <string>

#include "orb/client/client.h"

int main(int argc, char** argv) {
  orb::client::ClientOptions options;
  options.target = argc > 1 ? argv[1] : "127.0.0.1:50051";
  options.token = "bob-demo-token";
  absl::StatusOr<orb::client::Client> client = orb::client::Client::Connect(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 2;
  }
  absl::StatusOr<orb::client::Session> session = client->OpenSession();
  if (!session.ok()) {
    std::cerr << session.status() << "\n";
    return 1;
  }
  std::cout << "signed in as " << session->userid() << "\n";

  orb::client::Ref blog = session->root();
  std::cout << "title: " << blog.GetAs<std::string>("title").value_or("?") << "\n";

  // A method that returns an object returns a handle; it arrives as a Ref.
  absl::StatusOr<orb::client::Ref> entry =
      blog.CallAs<orb::client::Ref>("add_entry", {}, {{"title", "Hi"}, {"body", "There"}});
  if (!entry.ok()) {
    std::cerr << entry.status() << "\n";
    return 1;
  }
  std::cout << "added a " << entry->type_name() << " owned by "
            << entry->GetAs<std::string>("owner").value_or("?") << "\n";
  absl::Status edited = entry->Set("body", "edited");
  std::cout << "edit own entry: " << (edited.ok() ? "ok" : edited.ToString()) << "\n";

  // Errors carry the broker's gRPC code and structured detail.
  absl::Status retitled = blog.Set("title", "Bob's blog");
  std::optional<orb::client::ErrorInfo> why = orb::client::ErrorInfoOf(retitled);
  std::cout << "retitle the blog: " << absl::StatusCodeToString(retitled.code()) << " (gate "
            << (why ? why->gate : "?") << ")\n";

  // Several operations in one round trip: the entry a call makes is the
  // target of the next operations (orb::client::Result{0}).
  auto batch = session->Batch()
                   .Call(blog, "add_entry", {"Batched", "in one round trip"})
                   .Get(orb::client::Result{0}, "owner")
                   .Get(orb::client::Result{0}, "title")
                   .Run();
  if (batch.ok()) {
    const orb::client::Value none;
    std::cout << "batch: " << (*batch)[1].value_or(none).As<std::string>().value_or("?")
              << " added '" << (*batch)[2].value_or(none).As<std::string>().value_or("?")
              << "'\n";
  }

  absl::StatusOr<int64_t> count = blog.GetAs<int64_t>("entry_count");
  std::cout << "entries: " << count.value_or(-1) << "\n";
  return 0;  // the Session closes itself, releasing every handle
}
