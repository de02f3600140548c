package concurrent

import (
	"testing"
	"time"
)

// "Determine licensing status (lmstat)": lmstat "displays only one use of the license, even if
// there are multiple connections sharing that license".
func TestStatusShowsSharedLicenseOnce(t *testing.T) {
	f := New("XDT_PLT_CCS", []PoolSpec{permanent("new", 20190601, 10), permanent("old", 20181201, 10)}, Config{})
	at := func(minute int) time.Time { return now.Add(time.Duration(minute) * time.Minute) }
	for i, c := range []struct {
		device  string
		user    string
		version uint32
	}{{"dev1", "alice", 20181101}, {"dev1", "bob", 20181001}, {"dev2", "carol", 20181101}, {"dev1", "alice", 20190301}} {
		r := req(c.device, c.version)
		r.User = c.user
		if _, err := f.Checkout(r, uint64(i+1), at(i)); err != nil {
			t.Fatal(err)
		}
	}
	st := f.Status(now)
	if st.Feature != "XDT_PLT_CCS" || st.InUse != 3 || st.Installed != 20 {
		t.Fatalf("totals %q in use %d installed %d, want 3 of 20", st.Feature, st.InUse, st.Installed)
	}
	if len(st.Pools) != 2 || st.Pools[0].ID != "old" || st.Pools[1].ID != "new" {
		t.Fatalf("pools %+v, want old then new (earliest CSS first)", st.Pools)
	}
	old := st.Pools[0]
	if old.InUse != 2 || len(old.Licenses) != 2 {
		t.Fatalf("old pool in use %d with %d entries, want 2 and 2", old.InUse, len(old.Licenses))
	}
	first := old.Licenses[0]
	want := LicenseStatus{Device: "dev1", Units: 1, Sharers: 2, Handle: 1, Session: 1, User: "alice", Host: "h-dev1", Display: "d-dev1", Product: "XDT", VersionDate: 20181101, Start: at(0)}
	if first != want {
		t.Fatalf("dev1's entry %+v, want %+v", first, want)
	}
	// When the first holder leaves, the entry describes the oldest remaining one.
	f.Checkin(1)
	first = f.Status(now).Pools[0].Licenses[0]
	if first.Sharers != 1 || first.Handle != 2 || first.User != "bob" || first.Start != at(1) {
		t.Fatalf("dev1's entry after the first holder left: %+v, want bob's handle 2", first)
	}
}

// Counts is Status without the licenses: the same totals and pools, nothing per holder.
func TestCountsIsStatusWithoutLicenses(t *testing.T) {
	f := New("XDT_PLT_CCS", []PoolSpec{permanent("new", 20190601, 10), permanent("old", 20181201, 10)}, Config{})
	for i, d := range []string{"dev1", "dev2", "dev3"} {
		if _, err := f.Checkout(req(d, 20181101), uint64(i+1), now); err != nil {
			t.Fatal(err)
		}
	}
	full, counts := f.Status(now), f.Counts(now)
	if counts.InUse != full.InUse || counts.Installed != full.Installed || len(counts.Pools) != len(full.Pools) {
		t.Fatalf("counts %+v, status %+v", counts, full)
	}
	held := 0
	for i := range full.Pools {
		held += len(full.Pools[i].Licenses)
		if counts.Pools[i].Licenses != nil {
			t.Fatalf("pool %s: Counts listed licenses", counts.Pools[i].ID)
		}
		full.Pools[i].Licenses = nil
		if full.Pools[i].ID != counts.Pools[i].ID || full.Pools[i].InUse != counts.Pools[i].InUse || full.Pools[i].Peak != counts.Pools[i].Peak {
			t.Fatalf("pool %d: %+v, want %+v", i, counts.Pools[i], full.Pools[i])
		}
	}
	if held != 3 {
		t.Fatalf("Status listed %d licenses, want 3", held)
	}
}
