// Package actors is the concurrent core of licd on protoactor-go. Actors are thin shells
// around the pure state machines in the sub-packages (concurrent, userdevice): they own that
// state, exchange messages, persist decisions and never block in Receive.
//
// The actors:
//
//   - One feature actor per feature (concurrentActor for concurrent, per-socket and the
//     start-up licenses; udActor for user/device, per user, per device and named user). It
//     owns every pool of its feature, because the manual's rules decide across them: a
//     product takes a license from the compatible pool with the earliest CSS date
//     ("Concurrent license", "Customer Success Services"). Its handles carry the feature's
//     durable id in their high bits, so a checkin finds its actor without a lookup table.
//   - One product actor per connected product server: its heartbeats and liveness.
//   - The sessions actor: the registry of product sessions, lost products and their linger.
//   - The optimizer: it tells user/device features when they are due ("License
//     optimization") and computes their minimum covers on a worker goroutine.
//   - The supervisor: parent of the feature actors and the optimizer; a child that panics is
//     restarted alone and rebuilds its state from Pebble.
//   - The storage writer is the storage.Committer's goroutine: every actor's batches meet
//     there and leave as one synced Pebble commit.
//
// The checkout path: the connection's reader goroutine decodes a frame and sends it straight
// to the feature actor (one hop); the actor decides, adds the grant to its current batch and
// queues the reply beside it; the batch goes to the committer (at most two in flight per
// actor, so decisions keep accumulating while the previous batch syncs); when the commit is
// durable the committer's goroutine hands the replies to the connection's writer, which
// sends whatever has accumulated in one write. No global lock, no future, no wait for the
// disk inside an actor: an acknowledged grant is always durable.
package actors
