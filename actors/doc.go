// Package actors is the concurrent core of licd on protoactor-go: one actor per connected
// product server, one per feature pool, a supervising optimizer for user/device licensing
// and a storage writer. Actors are thin shells around the pure state machines in the
// sub-packages; they own that state, exchange messages and never block in Receive.
package actors
