package userdevice

// The cover is computed on dense int32 ids. A graph has users 0..nUsers-1 on the left,
// devices 0..nDevices-1 on the right and its edges in compressed sparse row form: the devices
// of user u are adj[start[u]:start[u+1]]. All buffers live in a coverWork that is reused
// between runs, so a steady-state optimization allocates nothing.

const unmatched = -1

// noDist marks a user that is not in the current breadth-first layering (or is dead for the
// rest of a Hopcroft-Karp phase).
const noDist = int32(1<<31 - 1)

type coverWork struct {
	start, adj     []int32
	matchU, matchV []int32
	dist, iter     []int32
	queue, stack   []int32
	reachU, reachV []bool
}

// buildCSR lays the pair arrays out as user-side adjacency (a counting sort by user).
func (w *coverWork) buildCSR(nUsers int, users, devices []int32) {
	w.start = grow(w.start, nUsers+1)
	clear(w.start)
	for _, u := range users {
		w.start[u+1]++
	}
	for u := 0; u < nUsers; u++ {
		w.start[u+1] += w.start[u]
	}
	w.adj = grow(w.adj, len(users))
	// iter doubles as the fill cursor here; Hopcroft-Karp resets it per phase.
	w.iter = grow(w.iter, nUsers)
	copy(w.iter, w.start[:nUsers])
	for i, u := range users {
		w.adj[w.iter[u]] = devices[i]
		w.iter[u]++
	}
}

// maxMatching computes a maximum matching with Hopcroft-Karp: a greedy first pass, then
// phases of one breadth-first layering and depth-first searches for vertex-disjoint shortest
// augmenting paths. The depth-first search is iterative (an explicit stack) so that a long
// alternating path in a million-pair graph cannot overflow the goroutine stack.
func (w *coverWork) maxMatching(nUsers, nDevices int) int {
	start, adj := w.start, w.adj
	w.matchU = fill(grow(w.matchU, nUsers), unmatched)
	w.matchV = fill(grow(w.matchV, nDevices), unmatched)
	w.dist = grow(w.dist, nUsers)
	matchU, matchV, dist, iter := w.matchU, w.matchV, w.dist, w.iter
	size := 0
	for u := int32(0); int(u) < nUsers; u++ {
		for e := start[u]; e < start[u+1]; e++ {
			if d := adj[e]; matchV[d] == unmatched {
				matchU[u], matchV[d] = d, u
				size++
				break
			}
		}
	}
	for {
		// Layer the users by alternating distance from the free users; limit is the length
		// of the shortest augmenting path (the layer where a free device is first seen).
		q := w.queue[:0]
		for u := int32(0); int(u) < nUsers; u++ {
			if matchU[u] == unmatched && start[u] < start[u+1] {
				dist[u] = 0
				q = append(q, u)
			} else {
				dist[u] = noDist
			}
		}
		free := len(q)
		limit := noDist
		for i := 0; i < len(q); i++ {
			u := q[i]
			if dist[u] >= limit {
				continue
			}
			for e := start[u]; e < start[u+1]; e++ {
				v := matchV[adj[e]]
				if v == unmatched {
					if limit == noDist {
						limit = dist[u] + 1
					}
				} else if dist[v] == noDist {
					dist[v] = dist[u] + 1
					q = append(q, v)
				}
			}
		}
		w.queue = q
		if limit == noDist {
			return size
		}
		copy(iter, start[:nUsers])
		for _, root := range q[:free] {
			if w.augment(root, limit) {
				size++
			}
		}
	}
}

// augment searches one shortest augmenting path from the free user root along the layering
// and flips it. Users that lead nowhere are marked dead (noDist) for the rest of the phase.
func (w *coverWork) augment(root, limit int32) bool {
	start, adj, matchU, matchV, dist, iter := w.start, w.adj, w.matchU, w.matchV, w.dist, w.iter
	stack := append(w.stack[:0], root)
	defer func() { w.stack = stack[:0] }()
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		if iter[u] == start[u+1] {
			dist[u] = noDist
			stack = stack[:len(stack)-1]
			if n := len(stack); n > 0 {
				iter[stack[n-1]]++
			}
			continue
		}
		v := matchV[adj[iter[u]]]
		switch {
		case v == unmatched && dist[u]+1 == limit:
			// Flip the path: every user on the stack takes the device its cursor points at.
			for i := len(stack) - 1; i >= 0; i-- {
				x := stack[i]
				d := adj[iter[x]]
				matchU[x], matchV[d] = d, x
			}
			return true
		case v != unmatched && dist[v] == dist[u]+1 && dist[v] < limit:
			stack = append(stack, v)
		default:
			iter[u]++
		}
	}
	return false
}

// konig turns the maximum matching into a minimum vertex cover (König's theorem). Z is the set
// of vertices reachable from the free users by alternating paths (any edge from a user to a
// device, the matching edge from a device back to its user); the cover is the matched users
// outside Z plus the devices inside Z.
//
// Why this prefers users: every minimum cover holds exactly one end of each matching edge.
// The devices in Z are forced into every minimum cover (a free user's devices must be
// covered, so their mates are not, so the mates' devices must be, and so on) and the users in
// Z are forced out. For every other matching edge this construction takes the user. So among
// all minimum covers it returns one with the most users and the fewest devices: a device
// license only where the device is shared in a way that saves licenses. (Running the same
// search from the free devices would do the opposite and prefer devices.)
func (w *coverWork) konig(nUsers, nDevices int) {
	start, adj, matchU, matchV := w.start, w.adj, w.matchU, w.matchV
	w.reachU = grow(w.reachU, nUsers)
	w.reachV = grow(w.reachV, nDevices)
	clear(w.reachU)
	clear(w.reachV)
	reachU, reachV := w.reachU, w.reachV
	q := w.queue[:0]
	for u := int32(0); int(u) < nUsers; u++ {
		if matchU[u] == unmatched {
			reachU[u] = true
			q = append(q, u)
		}
	}
	for i := 0; i < len(q); i++ {
		u := q[i]
		for e := start[u]; e < start[u+1]; e++ {
			d := adj[e]
			if reachV[d] {
				continue
			}
			reachV[d] = true
			// A reached device is matched: otherwise the matching had an augmenting path.
			if v := matchV[d]; v != unmatched && !reachU[v] {
				reachU[v] = true
				q = append(q, v)
			}
		}
	}
	w.queue = q
}

// inCoverUser and inCoverDevice read the cover after konig.
func (w *coverWork) inCoverUser(u int32) bool   { return w.matchU[u] != unmatched && !w.reachU[u] }
func (w *coverWork) inCoverDevice(d int32) bool { return w.reachV[d] }

// grow returns s resized to n, reusing its array when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, n+n/8)
}

func fill(s []int32, v int32) []int32 {
	for i := range s {
		s[i] = v
	}
	return s
}
