package main

import (
	"context"
	"time"
)

// adminRequest makes one admin request of the first server -c names, with the admin token:
// what the local-only utilities (lmusers, lmservice) share.
func (e *env) adminRequest(o *options, op string, args, out any) error {
	timeout, err := timeoutOption(o)
	if err != nil {
		return err
	}
	targets, err := e.targets(o)
	if err != nil {
		return err
	}
	token, err := e.adminToken(o, targets)
	if err != nil {
		return err
	}
	return adminCall(targets[0], token, op, args, out, timeout)
}

func adminCall(t target, token, op string, args, out any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := dial(ctx, t, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.admin(token, op, args, out)
}
