// Keeps grpc++'s shared callback threads alive for the life of the process.
//
// grpc++ 1.51 (Debian bookworm), where the core does not poll in the
// background, runs the reactions of its callback API on a shared pool of
// threads. It creates the pool for its first user (a grpc::Channel or
// grpc::Server that made a callback call) and joins it when its last user
// is destroyed. When that last user goes on one of the pool's own threads
// — a callback that drops the last reference to a Client, or a stream's
// ClientContext (which holds the channel) released in its last reaction —
// the pool cannot join itself, frees its queue under the running thread,
// and the process aborts ("assertion failed: prior > 0").
//
// KeepCallbackThreadsAlive() makes one channel that has made a callback
// call and is never destroyed, so the last user is never one the client
// lets go of. Call it before the first callback call of a Client.
//
// Thread safety: may be called from any thread, any number of times; the
// first call does the work (a few milliseconds, no network traffic) and
// the others return at once. Ownership: the channel lives until exit.
#ifndef ORB_CLIENT_SRC_CALLBACK_THREADS_H_
#define ORB_CLIENT_SRC_CALLBACK_THREADS_H_

namespace orb {
namespace client {
namespace client_internal {

void KeepCallbackThreadsAlive();

}  // namespace client_internal
}  // namespace client
}  // namespace orb

#endif  // ORB_CLIENT_SRC_CALLBACK_THREADS_H_
