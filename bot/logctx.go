package bot

import (
	"context"

	"go.uber.org/zap"
)

// logKey carries a request's logger: its envelope, who asked and what,
// on every line the request's work logs.
type logKey struct{}

func withLog(ctx context.Context, l *zap.Logger) context.Context {
	return context.WithValue(ctx, logKey{}, l)
}

// logFor is the request's logger, or the App's outside a request.
func (c *core) logFor(ctx context.Context) *zap.Logger {
	if l, ok := ctx.Value(logKey{}).(*zap.Logger); ok {
		return l
	}
	return c.log
}
