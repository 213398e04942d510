package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
)

// withFileLimits applies the file-reading limits set in the environment
// (format.LimitsFromEnv) to every file this command reads, uploads to serve
// included.
func withFileLimits(ctx context.Context, getenv func(string) string) (context.Context, error) {
	lim, set, err := format.LimitsFromEnv(getenv)
	var ve *data.ValidationError
	if errors.As(err, &ve) && len(ve.Errors) > 0 {
		fe := ve.Errors[0]
		return ctx, usageError{fmt.Sprintf("%s=%q: %s", fe.Column, fe.Value, fe.Reason)}
	}
	if err != nil || !set {
		return ctx, err
	}
	return format.WithLimits(ctx, lim), nil
}
