package storage

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap"
)

// SchemaVersion is the key schema this licd writes (SCHEMA.md). Open refuses
// data written with a higher version.
const SchemaVersion uint64 = 1

// ErrStoreFailed is wrapped by every error a Store returns after a write failed
// to reach the disk. Restart licd: it recovers from what the disk holds.
var ErrStoreFailed = errors.New("storage: an earlier write failed to reach the disk, so licd stopped using the store to avoid acknowledging anything that is not durable; fix the disk and restart licd")

// ErrClosed is wrapped by errors from a Store or Committer used after Close.
var ErrClosed = errors.New("storage: the store is closed")

// Options configure Open.
type Options struct {
	FS         vfs.FS      // nil = the real disk; vfs.NewMem() in tests
	Logger     *zap.Logger // nil = no logging
	CacheBytes int64       // block cache; 0 = 64 MiB
	// DiskReserve is the free space below which writes are refused with ErrDiskFull
	// (0 = DefaultDiskReserve); Open refuses to start below it.
	DiskReserve uint64
}

// Pebble tuning for this workload: small records, many synced commits, most
// grants deleted soon after they are written.
const (
	// defaultCacheBytes holds the hot user/device records' blocks.
	defaultCacheBytes = 64 << 20
	// memTableBytes: a grant put and deleted within one memtable never reaches
	// an sstable, so a larger memtable saves most flush and compaction work on
	// the checkout path. It also bounds WAL replay after kill -9 (replaying 32
	// MiB takes well under a second).
	memTableBytes = 32 << 20
	// memTableStopWrites allows flushes to fall behind by a few memtables
	// before commits stall.
	memTableStopWrites = 4
)

// Store is licd's durable state: one Pebble database.
type Store struct {
	db  *pebble.DB
	log *zap.Logger
	dir string
	fs  vfs.FS

	// reserve is the free space writes need (space.go); full is set while below it.
	reserve uint64
	full    atomic.Bool

	// failed holds the first write error; once set the store refuses all work.
	failed atomic.Pointer[error]
	closed atomic.Bool

	// eventSeq numbers events: the boot epoch in the high 32 bits, a counter below.
	eventSeq atomic.Uint64

	idsMu sync.Mutex // serializes ReserveIDs

	mu         sync.Mutex
	committers []*Committer
	repl       atomic.Pointer[Replicator] // cluster mode only (replicated.go); nil on a single node
}

// Open opens (creating if needed) the store in dir. It checks the schema
// version, refusing data written by a newer licd, and starts a new boot epoch.
func Open(dir string, opt Options) (*Store, error) {
	log := opt.Logger
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("storage")
	cacheBytes := opt.CacheBytes
	if cacheBytes <= 0 {
		cacheBytes = defaultCacheBytes
	}
	cache := pebble.NewCache(cacheBytes)
	defer cache.Unref() // the DB holds its own reference

	po := &pebble.Options{
		FS:                          opt.FS,
		Cache:                       cache,
		Logger:                      pebbleLogger{log: log},
		MemTableSize:                memTableBytes,
		MemTableStopWritesThreshold: memTableStopWrites,
		// WAL sync chunks let recovery tell a torn tail (kill -9 mid-write) from
		// corruption.
		FormatMajorVersion: pebble.FormatWALSyncChunks,
		// The Committer already groups commits; an artificial delay between WAL
		// syncs would only add latency to a lone checkout.
		WALMinSyncInterval: nil,
	}
	po.AddEventListener(eventListener(log))
	realDisk := po.FS == nil
	if realDisk {
		po.FS = privateFS{vfs.Default}
		po.WithFSDefaults() // real disk: adds disk-health checks (DiskSlow)
	}
	if err := po.FS.MkdirAll(dir, privateDirMode); err != nil {
		return nil, fmt.Errorf("storage: cannot create the data directory %s: %w; check the path and its permissions", dir, err)
	}
	if realDisk {
		if err := makePrivate(dir); err != nil {
			return nil, err
		}
	}
	// The integrity checks (SCHEMA.md, "Integrity"): an existing store must be found whole.
	state, exists, err := storeExists(po.FS, dir)
	if err != nil {
		return nil, err
	}
	reserve := opt.DiskReserve
	if reserve == 0 {
		reserve = DefaultDiskReserve
	}
	// A full disk fails the start at once: Pebble would retry its writes for ever.
	if u, err := po.FS.GetDiskUsage(dir); err == nil && u.AvailBytes < reserve {
		return nil, fmt.Errorf("cannot start: %w, then start licd again", fullError(dir, u.AvailBytes, reserve))
	}
	po.ErrorIfNotExists = exists
	db, err := openPebble(dir, po)
	if err != nil {
		return nil, openError(dir, err)
	}
	s := &Store{db: db, log: log, dir: dir, fs: po.FS, reserve: reserve}
	if err := s.startBoot(po.FS, state); err != nil {
		_ = s.closePebble()
		return nil, err
	}
	return s, nil
}

// openPebble opens Pebble, turning a Fatalf panic during recovery into an error.
func openPebble(dir string, po *pebble.Options) (db *pebble.DB, err error) {
	defer recoverFatal(&err)
	return pebble.Open(dir, po)
}

// recoverFatal turns a pebbleFatal panic into *err; other panics go on.
func recoverFatal(err *error) {
	if r := recover(); r != nil {
		pf, ok := r.(pebbleFatal)
		if !ok {
			panic(r)
		}
		*err = pf
	}
}

// startBoot checks that the store is whole (every block readable, not older than
// StateFile says), validates or writes the schema version and increments the boot
// epoch, in one synced write, then records the epoch in StateFile.
func (s *Store) startBoot(fs vfs.FS, state storeState) error {
	if err := s.verify(); err != nil {
		return err
	}
	if err := s.checkEpoch(state); err != nil {
		return err
	}
	version, found, err := s.getUint(metaSchema)
	if err != nil {
		return err
	}
	if found && version > SchemaVersion {
		return fmt.Errorf("storage: the data directory %s was written by a newer licd (schema %d; this licd understands up to %d): run the newer licd, or restore a backup made by this version", s.dir, version, SchemaVersion)
	}
	if !found {
		empty, err := s.isEmpty()
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("storage: the data directory %s holds data but no licd schema version: it was not written by licd; point licd at an empty or licd-owned directory", s.dir)
		}
	}
	epoch, _, err := s.getUint(metaEpoch)
	if err != nil {
		return err
	}
	epoch++
	b := NewBatch()
	b.key = metaKey(b.key[:0], metaSchema)
	b.val = encodeUint(b.val[:0], SchemaVersion)
	b.set(opSet, b.key, b.val)
	b.key = metaKey(b.key[:0], metaEpoch)
	b.val = encodeUint(b.val[:0], epoch)
	b.set(opSet, b.key, b.val)
	if err := s.Commit(b); err != nil {
		return err
	}
	if err := writeState(fs, s.dir, storeState{Schema: SchemaVersion, Epoch: epoch}); err != nil {
		return err
	}
	s.eventSeq.Store(epoch << 32)
	return nil
}

func (s *Store) isEmpty() (bool, error) {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return false, fmt.Errorf("storage: cannot read %s: %w", s.dir, err)
	}
	empty := !it.First()
	return empty, closeIter(it, s.dir)
}

// getUint reads a meta uint.
func (s *Store) getUint(name string) (uint64, bool, error) {
	key := metaKey(nil, name)
	val, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("storage: cannot read %s from %s: %w", name, s.dir, err)
	}
	defer closer.Close()
	v, err := decodeUint("meta "+name, key, val)
	return v, err == nil, err
}

// Close stops any running Committer (committing what it queued) and closes
// Pebble. It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	committers := s.committers
	s.committers = nil
	s.mu.Unlock()
	var errs []error
	for _, c := range committers {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if !s.closed.CompareAndSwap(false, true) {
		return errors.Join(errs...)
	}
	if err := s.closePebble(); err != nil {
		errs = append(errs, fmt.Errorf("storage: closing %s: %w", s.dir, err))
	}
	return errors.Join(errs...)
}

func (s *Store) closePebble() (err error) {
	defer recoverFatal(&err)
	return s.db.Close()
}

// usable returns why the store cannot be used, or nil.
func (s *Store) usable() error {
	if p := s.failed.Load(); p != nil {
		return fmt.Errorf("%w (first failure: %v)", ErrStoreFailed, *p)
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// fail records the first write failure. After it, nothing is read or written:
// Pebble has already made the failed records visible in memory, though they
// may not be on disk.
func (s *Store) fail(err error) error {
	if s.failed.CompareAndSwap(nil, &err) {
		s.log.Error("write to the data directory failed; the store stops so nothing undurable is acknowledged — restart licd",
			zap.String("dir", s.dir), zap.Error(err))
	}
	return fmt.Errorf("%w (first failure: %v)", ErrStoreFailed, *s.failed.Load())
}

// Commit applies b in one synced write and returns when it is durable. Use it
// for rare writes; the checkout path goes through a Committer.
func (s *Store) Commit(b *Batch) error {
	if err := s.usable(); err != nil {
		return err
	}
	if r := s.replicator(); r != nil {
		return s.commitReplicated(r, b)
	}
	pb := s.db.NewBatch()
	defer pb.Close()
	if err := s.roomToWrite(); err != nil {
		return err
	}
	if err := s.fill(pb, b); err != nil {
		return err
	}
	return s.applySynced(pb)
}

// fill copies b's mutations into pb, numbering events.
func (s *Store) fill(pb *pebble.Batch, b *Batch) error {
	r := opReader{p: b.buf}
	for {
		o, ok := r.next()
		if !ok {
			return nil
		}
		var err error
		switch o.op {
		case opSet:
			err = pb.Set(o.key, o.val, nil)
		case opEvent:
			// The key belongs to the batch until done: number it in place.
			seq := s.eventSeq.Add(1)
			putUint64(o.key[len(o.key)-eventSeqLen:], seq)
			err = pb.Set(o.key, o.val, nil)
		case opDelete:
			err = pb.Delete(o.key, nil)
		case opDeleteRange:
			err = pb.DeleteRange(o.key, o.val, nil)
		}
		if err != nil {
			return fmt.Errorf("storage: building a commit: %w", err)
		}
	}
}

// applySynced commits pb with a WAL sync. Any failure fails the store.
func (s *Store) applySynced(pb *pebble.Batch) error {
	if err := s.usable(); err != nil {
		return err
	}
	if err := applyRecovering(s.db, pb, pebble.Sync); err != nil {
		return s.fail(err)
	}
	return nil
}

// applyRecovering applies pb with opts, turning Pebble's fatal panics into errors.
func applyRecovering(db *pebble.DB, pb *pebble.Batch, opts *pebble.WriteOptions) (err error) {
	defer recoverFatal(&err)
	return db.Apply(pb, opts)
}

func closeIter(it *pebble.Iterator, dir string) error {
	if err := it.Close(); err != nil {
		return fmt.Errorf("storage: reading %s: %w", dir, err)
	}
	return nil
}
