package license

// Reservation is one RESERVE line as a Gate counts it: Count licenses kept for Type Name,
// Used of them held by those it names. lmstat shows Count-Used of them as FLEXlm does
// ("   2 RESERVATIONs for GROUP helpdesk (host/port)").
type Reservation struct {
	Count, Used int
	Type        OptTargetType
	Name        string
}

// Reservations returns the gate's RESERVE lines in file order with their counts.
func (g *Gate) Reservations() []Reservation {
	if g == nil || len(g.reserves) == 0 {
		return nil
	}
	out := make([]Reservation, len(g.reserves))
	for i := range g.reserves {
		r := &g.reserves[i]
		out[i] = Reservation{Count: r.rule.Count, Used: min(r.used, r.rule.Count), Type: r.rule.Type, Name: r.rule.Name}
	}
	return out
}
