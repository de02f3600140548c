// Package userdevice is the licensing core for user/device, per user, per device and named
// user features ("License types"): a pure, deterministic state machine with time passed in.
//
// A Feature records every connection as a (user, device) pair holding a lease ("License
// assignment period"). The licenses consumed are the smallest set of users and devices that
// covers every leased pair: a minimum vertex cover of the bipartite user-device graph,
// preferring user licenses ("The default assignment is a user license"). A new connection is
// decided at once (Connect); the optimizer ("License optimization") later lowers consumption
// in three steps so that the expensive part runs off the owning actor:
//
//	in := f.PrepareOptimization(now) // on the actor: copy the pair arrays
//	r := Optimize(in)                // anywhere: Hopcroft-Karp, then König
//	changes := f.ApplyOptimization(r, now) // on the actor: apply, keep newer grants
//
// The package does no I/O and never reads the clock. Everything a Feature decides is returned
// to the caller (Decision, Change, Released, Event) so that an actor can persist it, and
// Edges, Licenses and Restore rebuild a Feature from persisted records.
package userdevice
