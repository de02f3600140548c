package actors

import (
	"sort"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/licd/licd/license"
)

// Route is where requests for one feature go.
type Route struct {
	Name  string
	ID    uint64
	Model license.Model
	PID   *actor.PID
	Spec  *FeatureSpec
}

// Routes is an immutable routing table; the engine swaps in a new one on reread, and the
// connection readers load it atomically, so the checkout path takes no lock.
type Routes struct {
	byName map[string]*Route
	byID   map[uint64]*Route
	all    []*Route
}

func newRoutes(rs []*Route) *Routes {
	t := &Routes{byName: make(map[string]*Route, len(rs)), byID: make(map[uint64]*Route, len(rs))}
	for _, r := range rs {
		t.byName[r.Name] = r
		t.byID[r.ID] = r
		t.all = append(t.all, r)
	}
	sort.Slice(t.all, func(i, j int) bool { return t.all[i].Name < t.all[j].Name })
	return t
}

// ByName returns the route of a feature, or nil.
func (t *Routes) ByName(feature string) *Route { return t.byName[feature] }

// ByHandle returns the route of the feature that issued a handle, or nil.
func (t *Routes) ByHandle(h uint64) *Route { return t.byID[FeatureOfHandle(h)] }

// All lists the routes sorted by feature name.
func (t *Routes) All() []*Route { return t.all }

// isUserDevice reports whether a model belongs to the user/device family that the optimizer
// looks after.
func isUserDevice(m license.Model) bool {
	switch m {
	case license.ModelUserDevice, license.ModelPerUser, license.ModelPerDevice, license.ModelNamedUser:
		return true
	}
	return false
}
