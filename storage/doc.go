// Package storage is licd's only store: Pebble, with the key schema documented in
// SCHEMA.md, codecs for every record, a group-committing durable writer and recovery.
//
// The rule the server stands on: a license grant is acknowledged to a product only
// after it is durable (it survives kill -9). Actors build a Batch of decisions and
// hand it to the Committer with Submit, which never waits for the disk; the
// Committer's goroutine puts everything queued into one synced Pebble commit and
// then runs the done callbacks in submission order. While a commit is in flight new
// submissions accumulate for the next one, so the cost of one fsync is shared by
// every decision that arrived meanwhile (group commit).
//
// A failed write is fatal to the Store: Pebble cannot tell which of the records in
// a failed sync reached the disk, and they are already visible in memory, so after
// the first failure every write and read returns an error wrapping ErrStoreFailed
// and the daemon must restart and recover from what is on disk. No done callback
// ever reports success for data that was not synced.
//
// At start-up the daemon rebuilds its actors' state with the ForEach* functions,
// which walk one iterator each and decode into one reused struct.
package storage
