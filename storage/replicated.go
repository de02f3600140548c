package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Replication hooks (doc/HA.md). A single licd never sets a Replicator: its writes go to
// Pebble exactly as before. In a cluster (storage/replica), every write the Committer or
// Commit would make becomes one Raft entry instead, and it reaches Pebble — on every node —
// only through ApplyCommitted, once a majority holds it.

// Replicator takes the serialized mutations of one durable write and calls done exactly
// once: nil after they are committed by the group and applied to this store, or the error
// that kept them from it (this node is not the leader, it lost leadership, it stopped).
// Replicate must not block for long: the Committer calls it from its goroutine.
type Replicator interface {
	Replicate(data []byte, done func(error))
}

// ErrNotLeader is wrapped by the errors of writes refused because this node of a cluster
// is not (or no longer) the leader: nothing was acknowledged, the leader decides.
var ErrNotLeader = errors.New("storage: this cluster node is not the leader; the write was not acknowledged")

// metaApplied is the Raft index of the last entry applied to this store (cluster only; a
// node-local meta key, never part of a replicated snapshot).
const metaApplied = "raft-applied"

// replicatedCommitTimeout bounds a synchronous Commit through the replicator: a leader cut
// off from its group steps down within an election timeout, which fails the write sooner.
const replicatedCommitTimeout = 10 * time.Second

// SetReplicator routes every later write through r (nil: back to Pebble directly). Call it
// before starting any Committer or writer.
func (s *Store) SetReplicator(r Replicator) {
	if r == nil {
		s.repl.Store(nil)
		return
	}
	s.repl.Store(&r)
}

// replicator is read on every group commit: an atomic load, so that a single node's write
// path takes no lock for a cluster it is not in.
func (s *Store) replicator() Replicator {
	if p := s.repl.Load(); p != nil {
		return *p
	}
	return nil
}

// Bytes returns the Batch's serialized mutations (aliasing its buffer).
func (b *Batch) Bytes() []byte { return b.buf }

// commitReplicated is Commit through the replicator: it waits for the group.
func (s *Store) commitReplicated(r Replicator, b *Batch) error {
	if err := s.usable(); err != nil {
		return err
	}
	done := make(chan error, 1)
	r.Replicate(append([]byte(nil), b.buf...), func(err error) { done <- err })
	t := time.NewTimer(replicatedCommitTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("storage: the cluster did not commit a write within %s: %w", replicatedCommitTimeout, ErrNotLeader)
	}
}

// ApplyCommitted applies the mutations of committed Raft entries (each a concatenation of
// Batch buffers, possibly empty) and records index as the last applied, in one commit.
// Events are numbered by this store, as on a single node.
//
// The commit is synced only when sync is set: the entries are already durable in the Raft
// log of a majority, this node's included, so a commit lost to a crash is applied again
// from the log at the next start (the applied index lands in the same commit, so the store
// never holds an entry without its index). The replica syncs before it compacts the log.
func (s *Store) ApplyCommitted(entries [][]byte, index uint64, sync bool) error {
	if err := s.usable(); err != nil {
		return err
	}
	pb := s.db.NewBatch()
	defer pb.Close()
	for _, e := range entries {
		// fill numbers events in place: work on a copy, the entry may be sent again.
		if err := s.fill(pb, &Batch{buf: append([]byte(nil), e...)}); err != nil {
			return err
		}
	}
	if err := pb.Set(metaKey(nil, metaApplied), encodeUint(nil, index), nil); err != nil {
		return fmt.Errorf("storage: building a commit: %w", err)
	}
	if sync {
		return s.applySynced(pb)
	}
	if err := applyRecovering(s.db, pb, pebble.NoSync); err != nil {
		return s.fail(err)
	}
	return nil
}

// Applied returns the index of the last Raft entry applied to this store (0: none).
func (s *Store) Applied() (uint64, error) {
	v, _, err := s.getUint(metaApplied)
	return v, err
}

// Replicated state streams: a header (magic, applied index) then (uvarint key length, key,
// uvarint value length, value) records for every key outside the node-local meta space,
// then a zero key length.
const stateMagic = "licd-state-1\n"

// WriteState streams a consistent copy of the replicated state to w, read from one Pebble
// snapshot, and returns the applied index it reflects.
func (s *Store) WriteState(w io.Writer) (applied uint64, err error) {
	if err := s.usable(); err != nil {
		return 0, err
	}
	defer recoverFatal(&err)
	snap := s.db.NewSnapshot()
	defer snap.Close()
	key := metaKey(nil, metaApplied)
	val, closer, err := snap.Get(key)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return 0, fmt.Errorf("storage: reading the applied index of %s: %w", s.dir, err)
	default:
		applied, err = decodeUint("meta "+metaApplied, key, val)
		_ = closer.Close()
		if err != nil {
			return 0, err
		}
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var hdr []byte
	hdr = append(hdr, stateMagic...)
	hdr = binary.BigEndian.AppendUint64(hdr, applied)
	if _, err := bw.Write(hdr); err != nil {
		return 0, fmt.Errorf("storage: writing the state: %w", err)
	}
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceMeta + 1}})
	if err != nil {
		return 0, fmt.Errorf("storage: reading %s: %w", s.dir, err)
	}
	var rec []byte
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return 0, fmt.Errorf("storage: reading %s: %w", s.dir, err)
		}
		rec = appendBytes(appendBytes(rec[:0], it.Key()), v)
		if _, err := bw.Write(rec); err != nil {
			_ = it.Close()
			return 0, fmt.Errorf("storage: writing the state: %w", err)
		}
	}
	if err := closeIter(it, s.dir); err != nil {
		return 0, err
	}
	if err := bw.WriteByte(0); err != nil {
		return 0, fmt.Errorf("storage: writing the state: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("storage: writing the state: %w", err)
	}
	return applied, nil
}

// InstallState replaces this store's replicated state with the stream WriteState made
// (from the leader), in one synced commit, and returns the applied index it carries.
func (s *Store) InstallState(r io.Reader) (uint64, error) {
	if err := s.usable(); err != nil {
		return 0, err
	}
	br := bufio.NewReaderSize(r, 1<<16)
	hdr := make([]byte, len(stateMagic)+8)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return 0, fmt.Errorf("storage: reading a replicated state: %w", err)
	}
	if string(hdr[:len(stateMagic)]) != stateMagic {
		return 0, errors.New("storage: a replicated state does not start with its header: it was not made by this licd")
	}
	applied := binary.BigEndian.Uint64(hdr[len(stateMagic):])
	pb := s.db.NewBatch()
	defer pb.Close()
	if err := pb.DeleteRange([]byte{spaceMeta + 1}, []byte{0xFF, 0xFF, 0xFF, 0xFF}, nil); err != nil {
		return 0, fmt.Errorf("storage: building a commit: %w", err)
	}
	for {
		k, err := readBytes(br)
		if err != nil {
			return 0, err
		}
		if len(k) == 0 {
			break
		}
		if k[0] <= spaceMeta {
			return 0, errors.New("storage: a replicated state holds a node-local key: refused")
		}
		v, err := readBytes(br)
		if err != nil {
			return 0, err
		}
		if err := pb.Set(k, v, nil); err != nil {
			return 0, fmt.Errorf("storage: building a commit: %w", err)
		}
	}
	if err := pb.Set(metaKey(nil, metaApplied), encodeUint(nil, applied), nil); err != nil {
		return 0, fmt.Errorf("storage: building a commit: %w", err)
	}
	if err := s.roomToWrite(); err != nil {
		return 0, err
	}
	if err := s.applySynced(pb); err != nil {
		return 0, err
	}
	return applied, nil
}

func readBytes(br *bufio.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, fmt.Errorf("storage: reading a replicated state: %w", err)
	}
	if n > 64<<20 {
		return nil, fmt.Errorf("storage: a replicated state holds a %d-byte record: damaged", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return nil, fmt.Errorf("storage: reading a replicated state: %w", err)
	}
	return b, nil
}
