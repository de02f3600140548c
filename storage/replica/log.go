package replica

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// raftLog is the durable half of the Raft log: HardState, the last snapshot's metadata and
// the entries after the last compaction, in a Pebble of its own (DIR/raft), synced before
// any message that depends on them leaves (the Ready contract). raft.MemoryStorage is the
// in-memory half that raft reads; on start it is filled from here, as etcd fills it from its
// WAL.
type raftLog struct {
	db *pebble.DB
}

var (
	keyHardState = []byte("h")
	keySnapshot  = []byte("s")
)

const entryPrefix = 'e'

func entryKey(i uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{entryPrefix}, i)
}

func openLog(dir string, fs vfs.FS) (*raftLog, error) {
	db, err := pebble.Open(dir, &pebble.Options{FS: fs, Logger: quietPebble{}})
	if err != nil {
		return nil, fmt.Errorf("replica: open the raft log in %s: %w", dir, err)
	}
	return &raftLog{db: db}, nil
}

func (l *raftLog) close() error { return l.db.Close() }

// load returns what the log holds: the snapshot metadata (nil if none), the HardState (nil
// if none) and the entries after the snapshot.
func (l *raftLog) load() (snap *pb.Snapshot, hs *pb.HardState, ents []*pb.Entry, err error) {
	if v, c, err := l.db.Get(keySnapshot); err == nil {
		snap = &pb.Snapshot{}
		err = proto.Unmarshal(v, snap)
		_ = c.Close()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("replica: the raft log's snapshot record is damaged: %w", err)
		}
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return nil, nil, nil, fmt.Errorf("replica: read the raft log: %w", err)
	}
	if v, c, err := l.db.Get(keyHardState); err == nil {
		hs = &pb.HardState{}
		err = proto.Unmarshal(v, hs)
		_ = c.Close()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("replica: the raft log's hard state is damaged: %w", err)
		}
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return nil, nil, nil, fmt.Errorf("replica: read the raft log: %w", err)
	}
	from := uint64(1)
	if snap != nil {
		from = snap.GetMetadata().GetIndex() + 1
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: entryKey(from), UpperBound: []byte{entryPrefix + 1}})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("replica: read the raft log: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		e := &pb.Entry{}
		if err := proto.Unmarshal(it.Value(), e); err != nil {
			_ = it.Close()
			return nil, nil, nil, fmt.Errorf("replica: a raft log entry is damaged: %w", err)
		}
		ents = append(ents, e)
	}
	if err := it.Close(); err != nil {
		return nil, nil, nil, fmt.Errorf("replica: read the raft log: %w", err)
	}
	return snap, hs, ents, nil
}

// save persists one Ready's HardState and entries (entries replace any at or after the first
// one's index: a new leader may overwrite an uncommitted tail), synced when sync is set.
func (l *raftLog) save(hs *pb.HardState, ents []*pb.Entry, sync bool) error {
	b := l.db.NewBatch()
	defer b.Close()
	if hs != nil && !raft.IsEmptyHardState(hs) {
		v, err := proto.Marshal(hs)
		if err != nil {
			return fmt.Errorf("replica: encode the hard state: %w", err)
		}
		if err := b.Set(keyHardState, v, nil); err != nil {
			return err
		}
	}
	if len(ents) > 0 {
		if err := b.DeleteRange(entryKey(ents[0].GetIndex()), []byte{entryPrefix + 1}, nil); err != nil {
			return err
		}
		for _, e := range ents {
			v, err := proto.Marshal(e)
			if err != nil {
				return fmt.Errorf("replica: encode an entry: %w", err)
			}
			if err := b.Set(entryKey(e.GetIndex()), v, nil); err != nil {
				return err
			}
		}
	}
	if b.Empty() {
		return nil
	}
	opt := pebble.NoSync
	if sync {
		opt = pebble.Sync
	}
	if err := b.Commit(opt); err != nil {
		return fmt.Errorf("replica: write the raft log: %w", err)
	}
	return nil
}

// saveSnapshot records a snapshot's metadata (its data lives in the state store) and drops
// the entries up to compact (inclusive; math.MaxUint64: all of them, for a snapshot received
// from the leader, which replaces the whole log).
func (l *raftLog) saveSnapshot(snap *pb.Snapshot, compact uint64) error {
	meta := &pb.Snapshot{Metadata: snap.GetMetadata()}
	v, err := proto.Marshal(meta)
	if err != nil {
		return fmt.Errorf("replica: encode a snapshot: %w", err)
	}
	b := l.db.NewBatch()
	defer b.Close()
	if err := b.Set(keySnapshot, v, nil); err != nil {
		return err
	}
	if compact > 0 {
		upper := []byte{entryPrefix + 1}
		if compact < math.MaxUint64 {
			upper = entryKey(compact + 1)
		}
		if err := b.DeleteRange(entryKey(0), upper, nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("replica: write the raft log: %w", err)
	}
	return nil
}

// quietPebble keeps the raft log's Pebble from printing; its errors reach us as errors.
type quietPebble struct{}

func (quietPebble) Infof(string, ...interface{})  {}
func (quietPebble) Errorf(string, ...interface{}) {}
func (quietPebble) Fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf(format, args...))
}
