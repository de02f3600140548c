package bench

import (
	"context"
	"errors"
	"time"

	"github.com/licd/licd/wire"
)

// errCached marks a grant the product made itself in License caching mode: the server was
// lost, so the operation measured nothing of the server.
var errCached = errors.New("granted by the product in License caching mode (the server was lost), not by the server")

// answered reports whether the server gave an answer (a grant, or a denial).
func answered(err error) bool {
	var we *wire.Error
	return err == nil || (errors.As(err, &we) && isDenial(we.Code))
}

// checkout is one checkout, recorded as the "checkout" step.
func checkout(ctx context.Context, c *wire.Client, req *wire.Checkout, w int, rec *Recorder) (wire.Grant, error) {
	t0 := time.Now()
	rec.AddRequests(1)
	g, err := c.Checkout(ctx, *req)
	if answered(err) {
		rec.Observe("checkout", w, time.Since(t0))
	}
	if err == nil && g.Cached {
		_ = c.Checkin(ctx, g.Handle)
		return g, errCached
	}
	return g, err
}

// checkin is one checkin, recorded as the "checkin" step.
func checkin(ctx context.Context, c *wire.Client, handle uint64, w int, rec *Recorder) error {
	t0 := time.Now()
	rec.AddRequests(1)
	err := c.Checkin(ctx, handle)
	if answered(err) {
		rec.Observe("checkin", w, time.Since(t0))
	}
	return err
}

// checkoutCheckin is a user's connection and disconnection: a checkout, then at once its
// checkin. Both are durable on the server before they are answered.
func checkoutCheckin(ctx context.Context, c *wire.Client, req *wire.Checkout, w int, rec *Recorder) error {
	g, err := checkout(ctx, c, req, w, rec)
	if err != nil {
		return err
	}
	return checkin(ctx, c, g.Handle, w, rec)
}
