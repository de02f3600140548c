// Package storage is licd's only store: Pebble, with the key schema documented in
// SCHEMA.md, codecs for every record, a group-committing durable writer and recovery.
package storage
