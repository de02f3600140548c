package userdevice

import (
	"math/bits"
	"math/rand"
	"testing"
)

// TestManualTable is the table of "User/device license": users on non-shared devices get
// user licenses, the exclusively shared Desktop1 and Desktop2 get device licenses.
func TestManualTable(t *testing.T) {
	table := map[string][]string{ // device -> users marked x
		"Laptop":   {"John", "Rose"},
		"PC":       {"John"},
		"Mobiles":  {"John", "Rose", "Joe", "Roy"},
		"Laptop2":  {"Joe", "Roy"},
		"PC1":      {"Joe"},
		"Desktop1": {"Tom", "Karen", "Rick", "Tony"},
		"Desktop2": {"Rick", "Tony"},
	}
	f := newUD(t, 100, 0)
	for _, device := range []string{"Laptop", "PC", "Mobiles", "Laptop2", "PC1", "Desktop1", "Desktop2"} {
		for _, user := range table[device] {
			mustConnect(t, f, user, device, t0)
		}
	}
	if n, _ := f.InUse(); n != 8 {
		t.Fatalf("before optimization every user holds its license: in use %d, want 8", n)
	}
	optimize(f, t0)
	users, devices := licensed(f, t0)
	if want := []string{"Joe", "John", "Rose", "Roy"}; !equalStrings(users, want) {
		t.Errorf("user licenses %v, want %v", users, want)
	}
	if want := []string{"Desktop1", "Desktop2"}; !equalStrings(devices, want) {
		t.Errorf("device licenses %v, want %v", devices, want)
	}
	if n, _ := f.InUse(); n != 6 {
		t.Errorf("in use %d, want 6", n)
	}
}

// coverOf runs the optimizer core on a small graph given as user->device edges.
func coverOf(nU, nV int, us, ds []int32) (cu, cv []bool) {
	in := &OptimizeInput{model: ModelUserDevice, nUsers: nU, nDevices: nV, users: us, devices: ds}
	Optimize(in)
	return in.coverU, in.coverV
}

// bruteForce returns the minimum cover size and, among minimum covers, the fewest devices.
func bruteForce(nU, nV int, us, ds []int32) (size, devices int) {
	n := nU + nV
	size, devices = n+1, n+1
	for mask := uint32(0); mask < 1<<n; mask++ {
		ok := true
		for i := range us {
			if mask&(1<<us[i]) == 0 && mask&(1<<(uint32(nU)+uint32(ds[i]))) == 0 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		s := bits.OnesCount32(mask)
		dv := bits.OnesCount32(mask >> nU)
		if s < size || (s == size && dv < devices) {
			size, devices = s, dv
		}
	}
	return size, devices
}

// TestCoverIsMinimumAndPrefersUsers checks the optimizer against exhaustive search on
// hundreds of random small graphs: the cover is valid, minimum, and among minimum covers has
// the fewest device licenses ("The default assignment is a user license"); in particular, where
// an all-user minimum cover exists it licenses no device.
func TestCoverIsMinimumAndPrefersUsers(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	allUserCases := 0
	for g := 0; g < 600; g++ {
		nU, nV := 1+rng.Intn(6), 1+rng.Intn(6)
		density := rng.Float64()
		var us, ds []int32
		for u := 0; u < nU; u++ {
			for d := 0; d < nV; d++ {
				if rng.Float64() < density {
					us, ds = append(us, int32(u)), append(ds, int32(d))
				}
			}
		}
		cu, cv := coverOf(nU, nV, us, ds)
		for i := range us {
			if !cu[us[i]] && !cv[ds[i]] {
				t.Fatalf("graph %d: pair (u%d, d%d) not covered", g, us[i], ds[i])
			}
		}
		size, devs := 0, 0
		for _, c := range cu {
			if c {
				size++
			}
		}
		for _, c := range cv {
			if c {
				size++
				devs++
			}
		}
		wantSize, wantDevs := bruteForce(nU, nV, us, ds)
		if size != wantSize || devs != wantDevs {
			t.Fatalf("graph %d (users %d, devices %d, pairs u%v d%v): cover of %d with %d devices, want %d with %d",
				g, nU, nV, us, ds, size, devs, wantSize, wantDevs)
		}
		if wantDevs == 0 && len(us) > 0 {
			allUserCases++
		}
	}
	if allUserCases < 50 {
		t.Fatalf("only %d graphs had an all-user minimum cover: the generator does not exercise the preference", allUserCases)
	}
}

// TestCoverLongAlternatingPath builds a chain whose greedy matching needs one augmenting path
// through every vertex: the iterative search must find it without recursion.
func TestCoverLongAlternatingPath(t *testing.T) {
	const n = 200000
	// The path u0 - d0 - u1 - d1 - ... - u(n-1) - d(n-1). User ids put u0 last and list
	// d(i-1) first for the others, so greedy matches every u_i (i >= 1) to d(i-1) and u0 is
	// left free: the one augmenting path runs through all 2n vertices.
	id := func(i int32) int32 { return (i + n - 1) % n } // u0 -> n-1, u_i -> i-1
	var us, ds []int32
	for i := int32(1); i < n; i++ {
		us, ds = append(us, id(i), id(i)), append(ds, i-1, i)
	}
	us, ds = append(us, id(0)), append(ds, 0)
	w := &coverWork{}
	w.buildCSR(n, us, ds)
	if got := w.maxMatching(n, n); got != n {
		t.Fatalf("maximum matching of the path: %d, want %d", got, n)
	}
	cu, cv := coverOf(n, n, us, ds)
	size := 0
	for _, c := range cu {
		if c {
			size++
		}
	}
	for _, c := range cv {
		if c {
			size++
		}
	}
	if size != n {
		t.Fatalf("cover of a %d-user path has %d licenses, want %d", n, size, n)
	}
}

// checkCertificate proves a cover minimum without brute force: the matching is valid, the
// cover covers every pair and both have the same size (a cover needs one vertex per matching
// edge, so no cover is smaller).
func checkCertificate(t *testing.T, in *OptimizeInput) {
	t.Helper()
	w := &in.work
	matched := 0
	for u, d := range w.matchU[:in.nUsers] {
		if d == unmatched {
			continue
		}
		matched++
		if w.matchV[d] != int32(u) {
			t.Fatalf("matching broken: user %d -> device %d -> user %d", u, d, w.matchV[d])
		}
		found := false
		for e := w.start[u]; e < w.start[u+1]; e++ {
			found = found || w.adj[e] == d
		}
		if !found {
			t.Fatalf("user %d matched to device %d it has no pair with", u, d)
		}
	}
	for i := range in.users {
		if !in.coverU[in.users[i]] && !in.coverV[in.devices[i]] {
			t.Fatalf("pair (%d, %d) not covered", in.users[i], in.devices[i])
		}
	}
	if in.licenses != matched {
		t.Fatalf("cover of %d licenses, matching of %d: not minimum", in.licenses, matched)
	}
}

func TestCoverCertificateRealistic(t *testing.T) {
	f := realisticFeature(t, 30_000)
	in := f.PrepareOptimization(t0)
	r := Optimize(in)
	checkCertificate(t, in)
	if r.Devices() == 0 || r.Licenses() >= f.users.count {
		t.Fatalf("kiosk-only users should make device licenses pay: %d licenses, %d devices, %d users licensed before",
			r.Licenses(), r.Devices(), f.users.count)
	}
}

func TestCoverCertificateRandom(t *testing.T) {
	in := randomInput(20_000, 15_000, 60_000, 7)
	Optimize(in)
	checkCertificate(t, in)
}

// randomInput is an unstructured graph: harder for the greedy start than real deployments.
func randomInput(nUsers, nDevices, pairs int, seed int64) *OptimizeInput {
	rng := rand.New(rand.NewSource(seed))
	in := &OptimizeInput{model: ModelUserDevice, nUsers: nUsers, nDevices: nDevices}
	seen := make(map[uint64]bool, pairs)
	for len(in.users) < pairs {
		u, d := int32(rng.Intn(nUsers)), int32(rng.Intn(nDevices))
		if !seen[pairKey(u, d)] {
			seen[pairKey(u, d)] = true
			in.users, in.devices = append(in.users, u), append(in.devices, d)
		}
	}
	return in
}
