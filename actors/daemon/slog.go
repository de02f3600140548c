package daemon

import (
	"context"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// slogToZap routes protoactor-go's slog output into zap, so the actor system never prints
// on its own; only warnings and errors pass (its info level is chatty).
func slogToZap(l *zap.Logger) func(*actor.ActorSystem) *slog.Logger {
	return func(*actor.ActorSystem) *slog.Logger {
		return slog.New(zapHandler{l: l.Named("actor")})
	}
}

type zapHandler struct {
	l     *zap.Logger
	attrs []zap.Field
}

func (h zapHandler) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }

func (h zapHandler) Handle(_ context.Context, r slog.Record) error {
	fields := append([]zap.Field(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		fields = append(fields, zap.Any(a.Key, a.Value.Any()))
		return true
	})
	if r.Level >= slog.LevelError {
		h.l.Error(r.Message, fields...)
	} else {
		h.l.Warn(r.Message, fields...)
	}
	return nil
}

func (h zapHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := zapHandler{l: h.l, attrs: append([]zap.Field(nil), h.attrs...)}
	for _, a := range as {
		n.attrs = append(n.attrs, zap.Any(a.Key, a.Value.Any()))
	}
	return n
}

func (h zapHandler) WithGroup(name string) slog.Handler {
	return zapHandler{l: h.l.Named(name), attrs: h.attrs}
}
